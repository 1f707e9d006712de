package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Chan;
import io.gochan.Context;
import io.gochan.ReceiveChan;
import io.gochan.SendChan;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import org.junit.jupiter.api.Test;

/**
 * Rule L22 (review selapi26, finding 2): a {@code Selection} handler may throw {@code InterruptedException} beside
 * its own checked exception {@code X}, as {@code select()} does, so {@code X} stays precise. Before, the handler
 * interfaces ({@code OnValue}, {@code OnEvent}) threw only {@code X}: a handler that blocks on a channel
 * ({@code InterruptedException}) and also throws its own checked exception ({@code IOException}) made Java infer
 * {@code X = lub(InterruptedException, IOException) = Exception}, so {@code select()} threw {@code Exception}
 * and {@link #pumpOne} below did not compile ("unreported exception java.lang.Exception"): compiling is this
 * test's first check, which is why it has a file of its own. With {@code R apply(T value) throws X,
 * InterruptedException} (and the same on {@code OnEvent.get}) Java infers {@code X = IOException}.
 */
@NoGoroutineLeaks
class SelectionInterruptibleHandlersTest {

    /** Forwards one line and logs it, unless the context is done first: Go's usual pump step. */
    static boolean pumpOne(ReceiveChan<String> lines, SendChan<String> out, Writer log, Context ctx)
            throws IOException, InterruptedException {
        return Select.onReceive(lines, line -> {
                    out.send(line);          // may block: InterruptedException
                    log.write(line + "\n");  // IOException, the handlers' X
                    return true;
                })
                .done(ctx, () -> false)
                .select();
    }

    @Test
    void L22_aSelectionHandlerMayBlockBesideItsOwnCheckedException() throws Exception {
        Chan<String> lines = Chan.make(1);
        Chan<String> out = Chan.make(1);
        StringWriter log = new StringWriter();
        CancellableContext ctx = Context.withCancel(Context.background());
        lines.send("a");
        assertThat(pumpOne(lines, out, log, ctx)).isTrue();
        assertThat(out.receive()).isEqualTo("a");
        assertThat(log.toString()).isEqualTo("a\n");
        ctx.cancel();
        assertThat(pumpOne(lines, out, log, ctx)).as("nothing on lines, the context done").isFalse();
    }
}

package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import io.gochan.spi.ChannelCores;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rule CH4 (docs/spec/context-timers.md): send and receive that stop when a context is done, from both thread kinds. */
class ChannelContextRulesTest {
    static final Duration LONG = Duration.ofSeconds(30);

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH4_aReadyOperationCompletesAndADoneContextTakesNothing(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                Chan<Integer> ch = Chan.make(2);
                CancellableContext ctx = Context.withCancel(Context.background());
                ch.send(1, ctx);
                assertThat(ch.receive(ctx)).isEqualTo(1);
                ch.send(2, Context.background());
                ctx.cancel(new IOException("stop"));
                assertThatThrownBy(() -> ch.receive(ctx)).isSameAs(ctx.err()).hasCauseInstanceOf(IOException.class);
                assertThatThrownBy(() -> ch.receiveOk(ctx)).isSameAs(ctx.err());
                assertThatThrownBy(() -> ch.send(3, ctx)).isSameAs(ctx.err());
                assertThat(ch.len()).as("nothing taken, nothing sent").isEqualTo(1);
                assertThat(ch.receive()).isEqualTo(2);
                // Closed channel, live context: as the plain forms.
                CancellableContext live = Context.withCancel(Context.background());
                ch.close();
                assertThatThrownBy(() -> ch.receive(live)).isInstanceOf(ChannelClosedException.class);
                assertThat(ch.receiveOk(live).closed()).isTrue();
                assertThatThrownBy(() -> ch.send(4, live)).isInstanceOf(ChannelClosedException.class);
                assertThatThrownBy(() -> ch.send(null, live)).isInstanceOf(NullPointerException.class);
                assertThatThrownBy(() -> ch.receive((Context) null)).isInstanceOf(NullPointerException.class);
                // The views forward.
                Chan<String> s = Chan.make(1);
                s.sendOnly().send("v", live);
                assertThat(s.receiveOnly().receiveOk(live).value()).isEqualTo("v");
                live.cancel();
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH4_aBlockedOperationEndsWithTheContextAndLeavesNoRegistration(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make();
        Chan<Integer> nobodyReceives = Chan.make();
        Chan<Integer> full = Chan.make(1);
        full.send(0);
        CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofHours(1));
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> assertThatThrownBy(() -> ch.receive(ctx)).isInstanceOf(ContextCanceledException.class));
            threads.start(() -> assertThatThrownBy(() -> nobodyReceives.send(1, ctx)).isInstanceOf(ContextCanceledException.class));
            threads.start(() -> assertThatThrownBy(() -> full.send(1, ctx)).isInstanceOf(ContextCanceledException.class));
            Threads.awaitTrue(() -> ChannelCores.of(ctx.done()).waitingReceivers() == 3, "three operations waiting");
            ctx.cancel();
        }
        assertThat(Threads.waiters(ch)).isZero();
        assertThat(Threads.waiters(nobodyReceives)).isZero();
        assertThat(Threads.waiters(full)).isZero();
        assertThat(full.len()).isEqualTo(1);
        // A deadline ends them with DeadlineExceededException; the cause is the error's cause.
        CancellableContext deadline = Context.withTimeout(Context.background(), Duration.ofMillis(20), new IOException("slow"));
        assertThatThrownBy(() -> ch.receive(deadline)).isInstanceOf(DeadlineExceededException.class).hasMessage("context deadline exceeded")
                .hasCauseInstanceOf(IOException.class);
        assertThat(ChannelCores.of(deadline.done()).waitingReceivers()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH4_aBlockedOperationCompletesWithAPartnerOrClose(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make();
        CancellableContext ctx = Context.withCancel(Context.background());
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> assertThat(ch.receive(ctx)).isEqualTo(7));
            Threads.awaitReceivers(ch, 1);
            ch.send(7);
            threads.start(() -> ch.send(8, ctx));
            Threads.awaitSenders(ch, 1);
            assertThat(ch.receive()).isEqualTo(8);
            threads.start(() -> assertThat(ch.receiveOk(ctx).closed()).isTrue());
            threads.start(() -> assertThatThrownBy(() -> ch.receive(ctx)).isInstanceOf(ChannelClosedException.class));
            Threads.awaitReceivers(ch, 2);
            ch.close();
        }
        assertThat(ChannelCores.of(ctx.done()).waitingReceivers()).as("the done registrations left").isZero();
        ctx.cancel();
        // The nil channel with a context: waits for the context only.
        CancellableContext soon = Context.withTimeout(Context.background(), Duration.ofMillis(10));
        assertThatThrownBy(() -> Chan.<Integer>nil().receive(soon)).isInstanceOf(DeadlineExceededException.class);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH4_interruptedWaitTakesNothing(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make();
        CancellableContext ctx = Context.withCancel(Context.background());
        try (Threads threads = new Threads(kind)) {
            Thread t = threads.start(() -> assertThatThrownBy(() -> ch.receive(ctx)).isInstanceOf(InterruptedException.class));
            Threads.awaitReceivers(ch, 1);
            t.interrupt();
        }
        assertThat(Threads.waiters(ch)).isZero();
        assertThat(ChannelCores.of(ctx.done()).waitingReceivers()).isZero();
        ctx.cancel();
    }

    /** Cancels racing handoffs: every value is received exactly once or stays in the channel. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH4_cancelRacingAHandoffNeverLosesOrDuplicatesAValue(Kind kind) throws Exception {
        int rounds = 3_000;
        Chan<Integer> ch = Chan.make();
        Set<Integer> received = new HashSet<>();
        int leftOver = 0;
        for (int round = 0; round < rounds; round++) {
            CancellableContext ctx = Context.withCancel(Context.background());
            int value = round;
            Chan<Boolean> sent = Chan.make(1);
            try (Threads threads = new Threads(kind)) {
                threads.start(() -> {
                    try {
                        ch.send(value, ctx);
                        sent.send(true);
                    } catch (CancellationException e) {
                        sent.send(false);
                    }
                });
                threads.start(ctx::cancel);
                Received<Integer> r;
                try {
                    r = ch.receiveOk(ctx);
                } catch (CancellationException e) {
                    r = null;
                }
                // Bounded: a sender that died (its failure is in Threads) must fail the test, not hang it.
                Received<Boolean> report = sent.receive(java.time.Duration.ofSeconds(60));
                assertThat(report.ok()).as("round %d: the sender reported", round).isTrue();
                boolean delivered = report.value();
                if (r != null) {
                    assertThat(delivered).as("round %d: received, so sent", round).isTrue();
                    assertThat(received.add(r.value())).isTrue();
                } else if (delivered) {
                    leftOver++; // impossible on an unbuffered channel: a send completes only with a receiver
                }
            }
        }
        assertThat(leftOver).isZero();
        assertThat(Threads.waiters(ch)).isZero();
    }
}

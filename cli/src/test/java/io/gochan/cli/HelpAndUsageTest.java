package io.gochan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rule R132 (docs/spec/transport-reach.md): the help's exit status and a usage error's words. Found by session 44's CLI audit. */
class HelpAndUsageTest {
    /** A stdout that takes nothing: {@code >/dev/full}, a closed pipe. */
    private static PrintStream failingStdout() {
        return new PrintStream(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        }, true, StandardCharsets.UTF_8);
    }

    /** R132: help asked for but not written (stdout closed or full) exits 1 and says so, as every command does. */
    @Test
    void R132_helpThatCouldNotBeWrittenIsAFailure() throws Exception {
        for (List<String> args : List.of(List.of("--help"), List.of("help"), List.of("-h"), List.of("fetch", "--help"),
                List.of("sieve", "--help"), List.of("demo", "-h"))) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Main.run(args.toArray(String[]::new), failingStdout(), new PrintStream(err, true, StandardCharsets.UTF_8));
            assertThat(status).as("%s", args).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8)).as("%s", args).contains(Main.STDOUT_FAILED);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(Main.run(new String[] {"--help"}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("fetch");
    }

    /** R132: {@code fetch} without a URL says so; it blamed {@code -o}, which was not given. */
    @Test
    void R132_fetchWithoutAUrlSaysSoAndBlamesNoOption() throws Exception {
        for (List<String> args : List.of(List.of("fetch"), List.of("fetch", "-i"), List.of("fetch", "--timeout", "5s"))) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Main.run(args.toArray(String[]::new), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertThat(status).as("%s", args).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).as("%s", args).contains("(no URL given)").doesNotContain("-o needs");
        }
    }
}

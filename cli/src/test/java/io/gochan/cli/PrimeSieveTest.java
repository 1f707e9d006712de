package io.gochan.cli;

import io.gochan.leakcheck.NoGoroutineLeaks;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

@NoGoroutineLeaks
class PrimeSieveTest {
    @Test
    void firstPrimesAreCorrectAndNoStageIsLeftRunning() throws Exception {
        long before = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("sieve-")).count();
        assertThat(PrimeSieve.firstPrimes(10)).containsExactly(2, 3, 5, 7, 11, 13, 17, 19, 23, 29);
        assertThat(PrimeSieve.firstPrimes(1000)).hasSize(1000).last().isEqualTo(7919);
        assertThat(before).isZero();
    }

    @Test
    void mainPrintsThePrimes() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"sieve", "5"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("[2, 3, 5, 7, 11]");
        assertThat(Main.run(new String[] {"sieve", "x"}, new PrintStream(out), new PrintStream(err))).isEqualTo(2);
        assertThat(Main.run(new String[] {"nope"}, new PrintStream(out), new PrintStream(err))).isEqualTo(2);
    }
}

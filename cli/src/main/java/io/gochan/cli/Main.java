package io.gochan.cli;

import java.io.PrintStream;
import java.util.List;

/**
 * gochan's command-line main job.
 *
 * <pre>
 *   sieve [N]   print the first N primes (default 100) computed by Go's concurrent prime sieve
 * </pre>
 */
public final class Main {
    private Main() {}

    /** Entry point; exit status 0 on success, 2 on a usage error. */
    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
        String command = args.length == 0 ? "sieve" : args[0];
        switch (command) {
            case "sieve" -> {
                int n;
                try {
                    n = args.length > 1 ? Integer.parseInt(args[1]) : 100;
                } catch (NumberFormatException e) {
                    err.println("sieve: N must be a whole number, was '" + args[1] + "'");
                    return 2;
                }
                long start = System.nanoTime();
                List<Integer> primes = PrimeSieve.firstPrimes(n);
                long micros = (System.nanoTime() - start) / 1_000;
                out.println("The first " + n + " primes, by Go's concurrent prime sieve on gochan channels:");
                out.println(primes);
                out.printf("%d filter goroutines (virtual threads), %d µs%n", n, micros);
                return 0;
            }
            case "-h", "--help", "help" -> {
                out.println("usage: sieve [N]   first N primes by the concurrent prime sieve (default 100)");
                return 0;
            }
            default -> {
                err.println("unknown command '" + command + "'; try --help");
                return 2;
            }
        }
    }
}

package io.gochan.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * gochan's command-line main job.
 *
 * <pre>
 *   (no arguments)        demo: an embedded server on loopback and a keep-alive load against it
 *   fetch [-i] [-o F] [--timeout D] [--max-spool S] [--unix-socket P] URL...  fetch URLs concurrently through one Transport;
 *                             -i prints headers; each fetch bounded by D (default 30s), body included; with several
 *                             URLs a body waits for its turn in at most S bytes (default 256M), beyond that it fails
 *   demo [REQUESTS [CALLERS]] the demo with other sizes (default 2000 requests, 16 callers)
 *   sieve [N]             the first N primes by Go's concurrent prime sieve (default 100)
 * </pre>
 */
public final class Main {
    private Main() {}

    static final String USAGE = """
            usage: (no arguments)              demo: embedded server + keep-alive load, with a summary
                   fetch [-i] [-o FILE] [--timeout 30s] [--max-spool 256M] [--unix-socket PATH] URL... fetch URLs concurrently (proxy from HTTP_PROXY/HTTPS_PROXY/NO_PROXY)
                   demo [REQUESTS [CALLERS]]   the demo with other sizes (default 2000 16)
                   sieve [N]                   first N primes by the concurrent prime sieve (default 100)""";

    /** Entry point; exit status 0 on success, 1 on a failed request, 2 on a usage error. */
    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        String command = args.length == 0 ? "demo" : args[0];
        List<String> rest = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
        try {
            return switch (command) {
                case "demo" -> Demo.run(rest.size() > 0 ? positive(rest.get(0)) : 2000,
                        rest.size() > 1 ? positive(rest.get(1)) : 16, out, err);
                case "fetch" -> Fetch.run(rest, out, err);
                case "sieve" -> sieve(rest.isEmpty() ? 100 : positive(rest.get(0)), out);
                case "-h", "--help", "help" -> {
                    out.println(USAGE);
                    yield 0;
                }
                default -> {
                    err.println("unknown command '" + command + "'\n" + USAGE);
                    yield 2;
                }
            };
        } catch (NumberFormatException e) {
            err.println(command + ": " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
    }

    private static int positive(String s) {
        int n;
        try {
            n = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new NumberFormatException("expected a whole number, got '" + s + "'");
        }
        if (n < 1) {
            throw new NumberFormatException("expected a number >= 1, got " + n);
        }
        return n;
    }

    private static int sieve(int n, PrintStream out) throws InterruptedException {
        long start = System.nanoTime();
        List<Integer> primes = PrimeSieve.firstPrimes(n);
        long micros = (System.nanoTime() - start) / 1_000;
        out.println("The first " + n + " primes, by Go's concurrent prime sieve on gochan channels:");
        out.println(primes);
        out.printf("%d filter goroutines (virtual threads), %d µs%n", n, micros);
        return 0;
    }
}

package io.gochan.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * gochan's command-line main job.
 *
 * <pre>
 *   (no arguments)        demo: an embedded server on loopback and a keep-alive load against it
 *   fetch [-i] [-o F|-] [--timeout D] [--max-spool S] [--parallel-max N] [--unix-socket P] URL...  fetch URLs concurrently
 *                             through one Transport, at most N at once (default 50); -i prints headers; -o - the body
 *                             of the one URL alone to stdout, its head to stderr; each fetch
 *                             bounded by D, body included (without D: 30s for the head and for each silence of the
 *                             body, no bound on a download that keeps arriving); with several URLs a body waits for
 *                             its turn in at most S bytes (default 256M), beyond that it fails
 *   demo [REQUESTS [CALLERS]] the demo with other sizes (default 2000 requests, 16 callers; at most 10^6 and 10^5)
 *   sieve [N]             the first N primes by Go's concurrent prime sieve (default 100, at most 10000)
 * </pre>
 */
public final class Main {
    private Main() {}

    static final String USAGE = """
            usage: (no arguments)              demo: embedded server + keep-alive load, with a summary
                   fetch [-i] [-o FILE|-] [--timeout D] [--max-spool 256M] [--parallel-max 50] [--unix-socket PATH] URL... fetch URLs concurrently (proxy from HTTP_PROXY/HTTPS_PROXY/NO_PROXY);
                                               --timeout bounds each whole fetch; without it, 30s for the head and for each silence of the body;
                                               -o - writes the one URL's body alone to stdout, its status line to stderr
                   demo [REQUESTS [CALLERS]]   the demo with other sizes (default 2000 16; at most 1000000 100000)
                   sieve [N]                   first N primes by the concurrent prime sieve (default 100, at most 10000)""";

    /** The largest N of {@code sieve}: its work grows with N squared (10000 takes about a minute on two cores). */
    static final int MAX_SIEVE = 10_000;
    /** What a command reports when its standard output failed (R71): one wording for every command. */
    static final String STDOUT_FAILED = "could not write to stdout (closed?)";
    /** The largest REQUESTS of {@code demo}: the summary keeps one latency per request. */
    static final int MAX_DEMO_REQUESTS = 1_000_000;
    /** The largest CALLERS of {@code demo}: one goroutine each, and the work channel's capacity. */
    static final int MAX_DEMO_CALLERS = 100_000;

    /**
     * Entry point; exit status 0 on success, 1 on a failed request (or stdout closed before all was written), 2 on
     * a usage error.
     */
    public static void main(String[] args) throws Exception {
        int status;
        try {
            status = run(args, System.out, System.err);
        } catch (Throwable t) {
            // A bug, not a user error: its trace helps; but the JVM must still exit, whatever non-daemon
            // thread (the demo's server) the failure left running (R70).
            t.printStackTrace();
            status = 1;
        }
        System.exit(status);
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        String command = args.length == 0 ? "demo" : args[0];
        List<String> rest = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
        int most = switch (command) { // how many arguments a command takes after its name (R74)
            case "demo" -> 2;
            case "sieve" -> 1;
            case "-h", "--help", "help" -> 0;
            default -> Integer.MAX_VALUE;
        };
        if ((command.equals("demo") || command.equals("sieve")) && (rest.contains("-h") || rest.contains("--help"))) {
            // Asked for, so on stdout and a success, as the bare --help; fetch reads it among its options (R88). A stdout
            // that took none of it is a failure, as for every command (R132).
            out.println(USAGE);
            return wrote(command, 0, out, err);
        }
        if (rest.size() > most) {
            // An argument the command would ignore is a mistake the user should hear of (R74): "sieve 5 6" meant something.
            err.println(command + ": unexpected argument '" + rest.get(most) + "'\n" + USAGE);
            return 2;
        }
        try {
            return switch (command) {
                case "demo" -> wrote(command, Demo.run(rest.size() > 0 ? positive(rest.get(0), MAX_DEMO_REQUESTS) : 2000,
                        rest.size() > 1 ? positive(rest.get(1), MAX_DEMO_CALLERS) : 16, out, err), out, err);
                case "fetch" -> Fetch.run(rest, out, err);
                case "sieve" -> wrote(command, sieve(rest.isEmpty() ? 100 : positive(rest.get(0), MAX_SIEVE), out), out, err);
                case "-h", "--help", "help" -> {
                    out.println(USAGE);
                    yield wrote(command, 0, out, err); // R132
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

    /**
     * The status, or 1 if stdout failed (closed: {@code | head -1}): a {@link PrintStream} keeps such an error to
     * itself, so without this the run would report success for output nobody got (R71).
     */
    static int wrote(String command, int status, PrintStream out, PrintStream err) {
        if (out.checkError()) {
            err.println(command + ": " + STDOUT_FAILED);
            return Math.max(status, 1);
        }
        return status;
    }

    /** A whole number from 1 to {@code max}; a larger one is a usage error, not an OutOfMemoryError or a hang (R70). */
    private static int positive(String s, int max) {
        int n;
        try {
            n = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            if (s.matches("[0-9]+")) { // digits, only too many of them for an int
                throw new NumberFormatException("expected a number <= " + max + ", got " + s);
            }
            throw new NumberFormatException("expected a whole number, got '" + s + "'");
        }
        if (n < 1) {
            throw new NumberFormatException("expected a number >= 1, got " + n);
        }
        if (n > max) {
            throw new NumberFormatException("expected a number <= " + max + ", got " + n);
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

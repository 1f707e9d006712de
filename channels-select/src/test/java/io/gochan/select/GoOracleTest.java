package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.Received;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rule GO1 (docs/spec/select.md): gochan agrees with Go's runtime on a recorded corpus of random
 * single-goroutine channel scripts. {@code src/test/go-oracle/oracle.go} generated the scripts and
 * recorded, for every operation, what Go did (a value and ok flag, "block" for a select's default, or a
 * panic's message); this test replays each script on gochan's channels and compares every outcome,
 * panic messages included (a {@link ChannelClosedException}'s message must start with Go's). The corpora
 * are committed, so the test needs no Go; {@code record.sh} re-records them: {@code traces.txt} with
 * capacities 0 to 3, {@code traces-ring.txt} with capacities around the lock-free ring's bounds and bursts
 * ({@code trysend*}, {@code tryrecv*}: one line for a whole fill or drain of a 4096-slot buffer).
 */
@NoGoroutineLeaks
class GoOracleTest {
    /** The whole corpus runs in well under a second; a bound, not a speed requirement. */
    static final long BOUND_SECONDS = 60;

    enum Kind { VIRTUAL, PLATFORM }

    /**
     * The Java forms of Go's non-blocking operations (rule S7): each of Go's {@code select} with one case and a
     * {@code default} has several spellings in gochan, and every one must have Go's outcome. {@code TRY} is the
     * plain {@code trySend}/{@code tryReceive} (and the corpus's own select with {@code orElse}); the others are a
     * timed call with no time left (zero, negative), a select with {@code orElse} or with a zero timeout
     * ({@code Select.statement()} and the typed builder {@code Select.onSend}/{@code onReceiveOk}), the channel's
     * one-direction views, and a timed call with no time left made with the interrupt flag set (I5: a call that
     * does not wait does not look at the flag, and leaves it set).
     */
    enum Form { TRY, TIMED_ZERO, TIMED_NEGATIVE, SELECT_DEFAULT, SELECT_TIMEOUT_ZERO, BUILDER_DEFAULT, VIEWS, TIMED_ZERO_FLAG_SET }

    /** One operation of a script and what Go did. */
    record Step(int line, String op, String expected) {}

    /** A script: channel capacities (-1: nil) and its steps. */
    record Script(int id, List<Integer> capacities, List<Step> steps) {}

    @ParameterizedTest
    @EnumSource(Kind.class)
    void GO1_everyRecordedScriptHasGosOutcomes(Kind kind) throws Exception {
        replayCorpus(kind, "/go-oracle/traces.txt");
    }

    /**
     * The second corpus: capacities on both sides of the lock-free ring's bounds (nil, 0, 1, 16, 63, 64,
     * 65, 100, 4096, 4097; ADR 0015), with bursts that fill a channel until a try-send fails and drain it
     * until a try-receive gets nothing, so the ring's full and empty edges are compared with Go's too.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void GO1_everyRecordedScriptAtTheRingsCapacitiesHasGosOutcomes(Kind kind) throws Exception {
        replayCorpus(kind, "/go-oracle/traces-ring.txt");
    }

    /**
     * Rule GO6: the corpus of shape {@code big}, capacities above the lock-free ring's largest (4097, 8192, 65536
     * and 100000, beside nil, 0, 1 and 4096), with bursts that fill a 100000-slot buffer until a try-send fails and
     * drain it in order, closes that leave thousands of values buffered (drained after the close with ok flags,
     * then the zero value and {@code false}), and {@code len}/{@code cap} at every fill level; each non-blocking
     * step once more in every {@link Form} in turn.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void GO6_everyRecordedScriptAboveTheRingsCapacitiesHasGosOutcomes(Kind kind) throws Exception {
        replayCorpus(kind, "/go-oracle/traces-big.txt");
        replayCorpus(kind, "/go-oracle/traces-big.txt", true);
    }

    /**
     * Both corpora again, each non-blocking step (try-send, try-receive, their bursts, a select with a default)
     * in one of the {@link Form}s in turn, so every form meets every kind of step: an open channel with room or
     * a value, a full or empty one, a closed one (a send form throws Go's panic), the nil channel.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void S7_everyNonBlockingFormHasGosOutcomesOnBothCorpora(Kind kind) throws Exception {
        replayCorpus(kind, "/go-oracle/traces.txt", true);
        replayCorpus(kind, "/go-oracle/traces-ring.txt", true);
    }

    private static void replayCorpus(Kind kind, String corpus) throws Exception {
        replayCorpus(kind, corpus, false);
    }

    private static void replayCorpus(Kind kind, String corpus, boolean everyForm) throws Exception {
        List<Script> scripts = load(corpus);
        assertThat(scripts).hasSizeGreaterThanOrEqualTo(100);
        List<String> mismatches = new ArrayList<>();
        BoundedScriptRun.run(kind == Kind.VIRTUAL, BOUND_SECONDS, () -> {
            for (Script s : scripts) {
                replay(s, mismatches, everyForm);
            }
        }, mismatches::toString);
        assertThat(mismatches).as("outcomes that differ from Go's").isEmpty();
    }

    /** Runs one script on fresh channels and records every step whose outcome differs from Go's. */
    private static void replay(Script s, List<String> mismatches, boolean everyForm) throws InterruptedException {
        List<Chan<Integer>> chans = new ArrayList<>();
        for (int c : s.capacities()) {
            chans.add(c < 0 ? Chan.nil() : Chan.make(c));
        }
        int k = s.id(); // each script starts at another form, so each form meets each kind of first step
        for (Step step : s.steps()) {
            Form form = everyForm ? Form.values()[k++ % Form.values().length] : Form.TRY;
            String got = run(step.op(), chans, form);
            if (!matches(step.expected(), got)) {
                mismatches.add("script " + s.id() + " line " + step.line() + ": " + step.op()
                        + (form == Form.TRY ? "" : " as " + form) + " -> Go: " + step.expected() + ", gochan: " + got);
            }
        }
    }

    /** Go's panic message is a prefix of ours (gochan may add where it happened); everything else is exact. */
    private static boolean matches(String expected, String got) {
        if (expected.startsWith("panic ") && got.startsWith("panic ")) {
            return got.startsWith(expected);
        }
        return expected.equals(got);
    }

    /** One operation, in the oracle's notation, with its outcome in the same notation. */
    static String run(String op, List<Chan<Integer>> chans) throws InterruptedException {
        return run(op, chans, Form.TRY);
    }

    /** One operation, its non-blocking steps in the given {@link Form}. */
    static String run(String op, List<Chan<Integer>> chans, Form form) throws InterruptedException {
        String[] w = op.split(" ");
        try {
            switch (w[0]) {
                case "trysend":
                    return trySend(chans.get(Integer.parseInt(w[1])), Integer.valueOf(w[2]), form) ? "ok" : "block";
                case "tryrecv":
                    return received(tryReceive(chans.get(Integer.parseInt(w[1])), form));
                case "trysend*": {
                    // v, v+1, ... until one is not sent: "n K then OUT" (see oracle.go's burst)
                    Chan<Integer> ch = chans.get(Integer.parseInt(w[1]));
                    int v = Integer.parseInt(w[2]);
                    int k = 0;
                    String out;
                    for (;;) {
                        try {
                            if (!trySend(ch, v + k, form)) {
                                out = "block";
                                break;
                            }
                        } catch (ChannelClosedException e) {
                            out = "panic " + e.getMessage().replaceFirst(": Chan\\(.*", ""); // Go's words, without the channel K6 names
                            break;
                        }
                        k++;
                    }
                    return "n " + k + " then " + out;
                }
                case "tryrecv*": {
                    // receives until one gets no value: "n K hash H then OUT", H = 31*H + v modulo 2^32
                    Chan<Integer> ch = chans.get(Integer.parseInt(w[1]));
                    int k = 0;
                    int hash = 0;
                    for (Received<Integer> r; (r = tryReceive(ch, form)).ok(); ) {
                        hash = hash * 31 + r.value();
                        k++;
                    }
                    // the receive that ended the loop got nothing; ask again for what it was (Go's last outcome)
                    return "n " + k + " hash " + Integer.toUnsignedString(hash) + " then " + received(tryReceive(ch, form));
                }
                case "send":
                    chans.get(Integer.parseInt(w[1])).send(Integer.valueOf(w[2]));
                    return "ok";
                case "recv":
                    return received(chans.get(Integer.parseInt(w[1])).receiveOk());
                case "close":
                    chans.get(Integer.parseInt(w[1])).close();
                    return "ok";
                case "len":
                    return Integer.toString(chans.get(Integer.parseInt(w[1])).len());
                case "cap":
                    return Integer.toString(chans.get(Integer.parseInt(w[1])).cap());
                case "range": {
                    List<Integer> got = new ArrayList<>();
                    chans.get(Integer.parseInt(w[1])).range(got::add);
                    return got.stream().map(String::valueOf).collect(Collectors.joining(" ", "[", "]"));
                }
                case "select":
                    String cases = op.substring("select ".length());
                    if (form == Form.SELECT_TIMEOUT_ZERO || form == Form.TIMED_ZERO) {
                        cases = cases.replace(" | default", " | timeout0"); // a select that may not wait
                    }
                    return select(cases, chans);
                default:
                    throw new IllegalArgumentException("unknown operation in the corpus: " + op);
            }
        } catch (ChannelClosedException e) {
            return "panic " + e.getMessage().replaceFirst(": Chan\\(.*", ""); // Go's words, without the channel K6 names
        }
    }

    /**
     * A select over the cases "recv i", "send i v", "default" and "timeout" (an hour: a timed select that
     * never times out during a test), separated by " | ".
     */
    static String select(String cases, List<Chan<Integer>> chans) throws InterruptedException {
        return select(cases, chans, null);
    }

    /** {@link #select(String, List)} drawing its choice from {@code random} ({@code SelectStatement.random}), or as by default if null. */
    static String select(String cases, List<Chan<Integer>> chans, RandomGenerator random) throws InterruptedException {
        SelectStatement st = random == null ? Select.statement() : Select.statement().random(random);
        AtomicReference<String> outcome = new AtomicReference<>();
        int index = 0;
        for (String c : cases.split(" \\| ")) {
            String[] w = c.split(" ");
            int k = index++;
            switch (w[0]) {
                case "recv" -> st.receiveOk(chans.get(Integer.parseInt(w[1])), r -> outcome.set("case " + k + " " + received(r)));
                case "send" -> st.send(chans.get(Integer.parseInt(w[1])), Integer.valueOf(w[2]), () -> outcome.set("case " + k));
                case "default" -> st.orElse(() -> outcome.set("default"));
                case "timeout" -> st.timeout(Duration.ofHours(1), () -> outcome.set("timed out"));
                case "timeout0" -> st.timeout(Duration.ZERO, () -> outcome.set("default")); // Go's default

                default -> throw new IllegalArgumentException("unknown select case in the corpus: " + c);
            }
        }
        st.run();
        return outcome.get();
    }

    /** A try-send in the given form: true if sent, false if it would have waited. */
    static boolean trySend(Chan<Integer> ch, Integer v, Form form) throws InterruptedException {
        return switch (form) {
            case TRY -> ch.trySend(v);
            case TIMED_ZERO -> ch.send(v, Duration.ZERO);
            case TIMED_NEGATIVE -> ch.send(v, Duration.ofSeconds(-1));
            case SELECT_DEFAULT -> Select.statement().send(ch, v, () -> { }).orElse(() -> { }).run() == 0;
            case SELECT_TIMEOUT_ZERO -> Select.statement().send(ch, v, () -> { }).timeout(Duration.ZERO, () -> { }).run() == 0;
            case BUILDER_DEFAULT -> Select.onSend(ch, v, () -> true).orElse(() -> false).select();
            case VIEWS -> ch.sendOnly().trySend(v);
            case TIMED_ZERO_FLAG_SET -> flagSet(() -> ch.send(v, Duration.ZERO));
        };
    }

    /** A try-receive in the given form: a value, "closed", or "not ready" where it would have waited. */
    static Received<Integer> tryReceive(Chan<Integer> ch, Form form) throws InterruptedException {
        return switch (form) {
            case TRY -> ch.tryReceive();
            case TIMED_ZERO -> ch.receive(Duration.ZERO);
            case TIMED_NEGATIVE -> ch.receive(Duration.ofSeconds(-1));
            case SELECT_DEFAULT -> {
                AtomicReference<Received<Integer>> got = new AtomicReference<>(Received.notReadyYet());
                Select.statement().receiveOk(ch, got::set).orElse(() -> { }).run();
                yield got.get();
            }
            case SELECT_TIMEOUT_ZERO -> {
                AtomicReference<Received<Integer>> got = new AtomicReference<>(Received.notReadyYet());
                Select.statement().receiveOk(ch, got::set).timeout(Duration.ZERO, () -> { }).run();
                yield got.get();
            }
            case BUILDER_DEFAULT -> Select.onReceiveOk(ch, (Received<Integer> r) -> r).orElse(Received::notReadyYet).select();
            case VIEWS -> ch.receiveOnly().tryReceive();
            case TIMED_ZERO_FLAG_SET -> flagSet(() -> ch.receive(Duration.ZERO));
        };
    }

    /** A call that must not wait, made with the interrupt flag set: it must neither throw for it nor clear it. */
    private static <T> T flagSet(java.util.concurrent.Callable<T> call) throws InterruptedException {
        Thread.currentThread().interrupt();
        try {
            return call.call();
        } catch (InterruptedException e) {
            throw new AssertionError("a call that does not wait threw for the interrupt flag (I5)", e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            if (!Thread.interrupted()) {
                throw new AssertionError("a call that does not wait cleared the interrupt flag (I5)");
            }
        }
    }

    static String received(Received<Integer> r) {
        if (r.ok()) {
            return r.value() + " true";
        }
        return r.closed() ? "0 false" : "block"; // Go's zero value for a closed channel of int
    }

    /** Parses a corpus (see oracle.go for the notation). */
    static List<Script> load(String corpus) throws IOException {
        List<Script> scripts = new ArrayList<>();
        try (InputStream in = GoOracleTest.class.getResourceAsStream(corpus)) {
            assertThat(in).as("the corpus %s on the test class path", corpus).isNotNull();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            Script current = null;
            int lineNo = 0;
            for (String line; (line = r.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                if (line.startsWith("script ")) {
                    current = new Script(Integer.parseInt(line.substring(7)), new ArrayList<>(), new ArrayList<>());
                } else if (line.startsWith("chan ")) {
                    current.capacities().add(Integer.parseInt(line.split(" ")[2]));
                } else if (line.equals("end")) {
                    scripts.add(current);
                    current = null;
                } else {
                    int arrow = line.indexOf(" -> ");
                    current.steps().add(new Step(lineNo, line.substring(0, arrow), line.substring(arrow + 4)));
                }
            }
        }
        return scripts;
    }
}

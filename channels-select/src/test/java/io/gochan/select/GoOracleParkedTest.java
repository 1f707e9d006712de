package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Chan;
import io.gochan.Received;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.select.GoOracleAnyReadyTest.Form;
import io.gochan.select.GoOracleTest.Kind;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rule GO4 (docs/spec/select.md): a select with several ready cases whose partners are parked threads has exactly
 * Go's set of outcomes for the whole scenario, what every parked thread observes included. The corpus
 * {@code traces-parked.txt} ({@code src/test/go-oracle/parked.go}, shape "parked" of {@code record.sh}) holds
 * scenarios in which goroutines park one by one in a send, a receive, a range or a select without default (two of
 * its cases on one channel in one direction too, which Go queues in a random order), buffers fill and channels
 * close without waking any of them, and then one select finds several cases ready (a parked sender
 * or receiver, a parked select, a buffered value or room, a closed channel, one channel in several cases, both
 * directions on one channel, with or without a default). Go recorded every outcome of the whole scenario (300
 * runs from scratch at least, more where it found many): the select's, then every channel drained by try-receives in channel order (a parked
 * sender's value comes out there, in the order the senders parked), then every open channel closed (which ends
 * every thread still parked: a receiver gets "0 false", a sender Go's panic), then every goroutine's outcome.
 * This test replays each scenario with one thread per goroutine, each started only when the ones before it are
 * parked in their channel operation (as {@link GoOracleMultiTest} waits), until it has seen every one of Go's
 * outcomes and no other, the select in each Java spelling of {@link Form} in turn, and each parked thread's
 * operation in another Java form at each run ({@link #goroutine}).
 */
@NoGoroutineLeaks
class GoOracleParkedTest {
    /** The corpus runs in a few seconds; a bound, not a speed requirement. */
    static final long BOUND_SECONDS = 120;

    /** Runs of one scenario needed to see every one of Go's outcomes, at most (as {@link GoOracleAnyReadyTest}). */
    static final int MAX_TRIES = 1000;

    /** A main-thread step before the select ({@code expected} its outcome) or a goroutine ({@code expected} null). */
    record Before(String op, String expected) {}

    /** A scenario: capacities (-1: nil), the steps before the select, the select, and Go's outcomes. */
    record Scenario(int id, List<Integer> capacities, List<Before> before, String select, Set<String> outcomes) {}

    @ParameterizedTest
    @EnumSource(Kind.class)
    void GO4_aSelectAgainstParkedThreadsHasExactlyGosOutcomesForEveryThread(Kind kind) throws Exception {
        List<Scenario> scenarios = load("/go-oracle/traces-parked.txt");
        assertThat(scenarios).hasSizeGreaterThanOrEqualTo(100);
        List<String> mismatches = new ArrayList<>();
        SplittableRandom seeded = new SplittableRandom(41);
        Thread.Builder builder = kind == Kind.VIRTUAL ? Thread.ofVirtual() : Thread.ofPlatform().daemon();
        BoundedScriptRun.run(kind == Kind.VIRTUAL, BOUND_SECONDS, () -> {
            for (Scenario s : scenarios) {
                if (mismatches.size() >= GoOracleMultiTest.MAX_MISMATCHES) {
                    break;
                }
                Form form = Form.values()[s.id() % Form.values().length];
                Set<String> seen = new LinkedHashSet<>();
                for (int t = 0; ; t++) {
                    String got = run(s, builder, form, t, seeded, mismatches);
                    if (got == null) {
                        break; // a step before the select disagreed: reported
                    }
                    String canon = canonical(s.outcomes(), got);
                    if (!s.outcomes().contains(canon)) {
                        mismatches.add("script " + s.id() + " " + s.select() + " as " + form + " -> Go: one of "
                                + s.outcomes() + ", gochan: " + got);
                        break;
                    }
                    seen.add(canon);
                    if (seen.equals(s.outcomes())) {
                        break;
                    }
                    if (t == MAX_TRIES) {
                        mismatches.add("script " + s.id() + " " + s.select() + " as " + form + " -> Go: any of "
                                + s.outcomes() + ", gochan only " + seen + " in " + MAX_TRIES + " runs");
                        break;
                    }
                }
            }
        }, mismatches::toString);
        assertThat(mismatches).as("outcomes that differ from Go's").isEmpty();
    }

    /**
     * Runs one scenario from scratch on fresh channels and returns its outcome in the recorder's notation, or null
     * after adding a mismatch of a step before the select (a goroutine that did not park, a main step's outcome).
     */
    private static String run(Scenario s, Thread.Builder builder, Form form, int tryNo, SplittableRandom seeded,
            List<String> mismatches) throws InterruptedException {
        List<Chan<Integer>> chans = new ArrayList<>();
        for (int c : s.capacities()) {
            chans.add(c < 0 ? Chan.nil() : Chan.make(c));
        }
        boolean[] closed = new boolean[chans.size()];
        List<Thread> threads = new ArrayList<>();
        List<AtomicReference<String>> outcomes = new ArrayList<>();
        try {
            for (Before b : s.before()) {
                if (b.expected() == null) {
                    String op = b.op().split(" ", 3)[2];
                    AtomicReference<String> outcome = new AtomicReference<>();
                    int f = s.id() + threads.size() + tryNo; // each try another form for each thread
                    RandomGenerator own = seeded.split(); // a SplittableRandom is for one thread
                    threads.add(builder.start(() -> outcome.set(goroutine(op, chans, f, own))));
                    outcomes.add(outcome);
                    for (int g = 0; g < threads.size(); g++) {
                        if (!GoOracleMultiTest.settles(threads.get(g))) { // each parked before the next step
                            mismatches.add("script " + s.id() + ": " + b.op() + " -> goroutine " + g
                                    + " Go: parked, gochan: " + (threads.get(g).isAlive() ? "running" : outcomes.get(g).get()));
                            return null;
                        }
                    }
                    continue;
                }
                String got = GoOracleTest.run(b.op(), chans);
                if (!got.equals(b.expected())) {
                    mismatches.add("script " + s.id() + ": " + b.op() + " -> Go: " + b.expected() + ", gochan: " + got);
                    return null;
                }
                if (b.op().startsWith("close ")) {
                    closed[Integer.parseInt(b.op().split(" ")[1])] = true;
                }
            }
            List<String> parts = new ArrayList<>();
            parts.add("select " + GoOracleAnyReadyTest.select(s.select().substring("select ".length()), chans, form, seeded));
            for (int i = 0; i < chans.size(); i++) { // the select's handoff is done when it returns: no wait here
                if (s.capacities().get(i) < 0) {
                    continue;
                }
                List<String> got = new ArrayList<>();
                Received<Integer> r;
                while ((r = chans.get(i).tryReceive()).ok()) {
                    got.add(String.valueOf(r.value()));
                }
                parts.add("drain " + i + " [" + String.join(" ", got) + "] " + GoOracleTest.received(r));
            }
            for (int i = 0; i < chans.size(); i++) {
                if (s.capacities().get(i) >= 0 && !closed[i]) {
                    chans.get(i).close();
                }
            }
            for (int g = 0; g < threads.size(); g++) {
                threads.get(g).join(TimeUnit.SECONDS.toMillis(GoOracleMultiTest.STEP_BOUND_SECONDS));
                parts.add("go " + g + " " + (threads.get(g).isAlive() ? "still parked after every channel closed"
                        : outcomes.get(g).get()));
            }
            return String.join(" / ", parts);
        } finally {
            for (Thread t : threads) { // only after a mismatch: end them for the leak check
                if (t.isAlive()) {
                    t.interrupt();
                    t.join(TimeUnit.SECONDS.toMillis(GoOracleMultiTest.STEP_BOUND_SECONDS));
                }
            }
        }
    }

    /**
     * A goroutine's blocking operation in one of the Java forms of {@link GoOracleAnyReadyTest#runInForm} (a send or a
     * receive plain, context-aware, timed, through a view; a select in each {@link Form}), with its outcome.
     */
    private static String goroutine(String op, List<Chan<Integer>> chans, int form, RandomGenerator seeded) {
        try {
            return GoOracleAnyReadyTest.runInForm(op, chans, form, seeded);
        } catch (InterruptedException e) {
            return "interrupted"; // only the clean-up after a mismatch interrupts
        } catch (RuntimeException e) {
            return "threw " + e;
        }
    }

    /**
     * Go's outcome that {@code got} is, or {@code got}: each part equal, or a panic of Go's whose message is a prefix
     * of gochan's (K6 may add where it happened).
     */
    private static String canonical(Set<String> outcomes, String got) {
        String[] g = got.split(" / ");
        for (String o : outcomes) {
            String[] e = o.split(" / ");
            boolean same = e.length == g.length;
            for (int k = 0; same && k < e.length; k++) {
                same = e[k].equals(g[k]) || e[k].contains("panic ") && g[k].startsWith(e[k]);
            }
            if (same) {
                return o;
            }
        }
        return got;
    }

    /** Parses a corpus in parked.go's notation. */
    static List<Scenario> load(String corpus) throws IOException {
        List<Scenario> scenarios = new ArrayList<>();
        try (InputStream in = GoOracleParkedTest.class.getResourceAsStream(corpus)) {
            assertThat(in).as("the corpus %s on the test class path", corpus).isNotNull();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            int id = -1;
            List<Integer> caps = null;
            List<Before> before = null;
            String select = null;
            Set<String> outcomes = null;
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                if (line.startsWith("script ")) {
                    id = Integer.parseInt(line.substring("script ".length()));
                    caps = new ArrayList<>();
                    before = new ArrayList<>();
                    outcomes = new LinkedHashSet<>();
                    select = null;
                } else if (line.startsWith("chan ")) {
                    caps.add(Integer.parseInt(line.split(" ")[2]));
                } else if (line.startsWith("go ")) {
                    before.add(new Before(line, null));
                } else if (line.startsWith("outcome ")) {
                    outcomes.add(line.substring("outcome ".length()));
                } else if (line.equals("end")) {
                    scenarios.add(new Scenario(id, caps, before, select, outcomes));
                } else if (line.startsWith("select ")) {
                    select = line.substring(0, line.indexOf(" -> any "));
                } else {
                    int arrow = line.indexOf(" -> ");
                    before.add(new Before(line.substring(0, arrow), line.substring(arrow + 4)));
                }
            }
        }
        return scenarios;
    }
}

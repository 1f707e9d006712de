package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.ChannelInterruptedException;
import io.gochan.Received;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.spi.WaitNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rule GO2 (docs/spec/select.md): gochan agrees with Go's runtime on a recorded corpus of scripts with
 * several goroutines whose outcome Go makes deterministic. {@code src/test/go-oracle/multi.go} generated
 * them: the main goroutine never waits (try-operations, close, len, cap, selects with a default, and
 * blocking operations only when they can complete at once) and starts goroutines that run one blocking operation each (send, receive, range, a select without
 * default); after every step Go's recorder waited until every goroutine had finished or was parked on a
 * channel, so the order of the steps is the order of Go's wait queues. This test replays each script with
 * one thread per goroutine (all virtual or all platform) and, after every step, waits the same way: a
 * thread Go saw parked must be parked in a channel operation (its park blocker is a channel's wait node or
 * a select, not a lock), a thread Go saw finish must finish with Go's outcome ({@code wake} lines), and
 * no other thread may finish. The corpus also covers closing a channel that threads wait on (receivers get
 * "closed", senders throw {@link ChannelClosedException} with Go's panic message) and ends by closing
 * every channel, which ends every thread still parked. Rule GO5: a third corpus lets goroutines park for ever
 * on nil channels; its scripts end with a {@code forever} line, the goroutines Go still had parked after every
 * channel was closed, which must be exactly the threads still parked here (then interrupted, to end them).
 */
@NoGoroutineLeaks
class GoOracleMultiTest {
    /** How long one step may take to reach quiescence; a bound, not a speed requirement. */
    static final long STEP_BOUND_SECONDS = 10;
    /** A replay that disagrees this often stops: each disagreement may cost a step's bound. */
    static final int MAX_MISMATCHES = 10;
    /** The bound for the whole corpus (a few seconds in practice). */
    static final long BOUND_SECONDS = 300;

    /** A bound for the timed forms that never runs out during a test. */
    static final Duration NEVER = Duration.ofHours(1);

    enum Kind { VIRTUAL, PLATFORM }

    /** A goroutine that finished during a step, and Go's outcome for it. */
    record Wake(int line, int goroutine, String expected) {}

    /** One step of a script (a main-goroutine operation or "go G OP"), Go's outcome and who finished. */
    record Step(int line, String op, String expected, List<Wake> wakes) {}

    /** A script: channel capacities (-1: nil) and its steps. */
    record Script(int id, List<Integer> capacities, List<Step> steps) {}

    @ParameterizedTest
    @EnumSource(Kind.class)
    void GO2_everyRecordedMultiGoroutineScriptHasGosOutcomes(Kind kind) throws Exception {
        replayCorpus(kind, "/go-oracle/traces-multi.txt");
    }

    /**
     * The second corpus: capacities on both sides of the lock-free ring's bounds (0, 1, 63, 64, 65, 100,
     * 4096; ADR 0015), with bursts of try-operations ({@code trysend*}, {@code tryrecv*}) that fill a
     * channel while receivers are parked on it and drain it while senders are parked on it, so a value
     * moves from the first parked sender into the ring at each receive.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void GO2_everyRecordedMultiGoroutineScriptAtTheRingsCapacitiesHasGosOutcomes(Kind kind) throws Exception {
        replayCorpus(kind, "/go-oracle/traces-multi-ring.txt");
    }

    /**
     * Rule GO5: the corpus of shape {@code multinil}, where nil channels are in every position a goroutine can
     * wait in (a send, a receive, a range, a select whose every case is on a nil channel, a select with nil cases
     * beside live ones) and in the main goroutine's steps (try-operations, {@code close}, {@code len},
     * {@code cap}, selects with a default), next to unbuffered channels, small buffers and an 8192-slot one
     * (above the lock-free ring's largest). Nothing wakes a thread parked on a nil channel: not a close of
     * another channel, not a partner on another channel, not the close of every channel at the end.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void GO5_goroutinesParkedOnNilChannelsStayParkedAsGosDo(Kind kind) throws Exception {
        replayCorpus(kind, "/go-oracle/traces-multi-nil.txt");
        replayCorpus(kind, "/go-oracle/traces-multi-nil.txt", true);
    }

    /**
     * Rule S7 against parked partners: both corpora again, each main-thread step that must not wait (a
     * try-operation, a burst, a select with a default) in one of {@link GoOracleTest.Form}'s forms in turn, so a
     * timed call with no time left, a select with a zero timeout, the typed builder and the views each meet a
     * parked sender, a parked receiver and a parked select, and take or hand over a value exactly where Go's
     * select with a default does.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void S7_everyNonBlockingFormMeetsParkedPartnersAsGosSelectWithDefault(Kind kind) throws Exception {
        replayCorpus(kind, "/go-oracle/traces-multi.txt", true);
        replayCorpus(kind, "/go-oracle/traces-multi-ring.txt", true);
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
                if (mismatches.size() >= MAX_MISMATCHES) {
                    break;
                }
                new Replay(s, kind, mismatches, everyForm).run();
            }
        }, mismatches::toString);
        assertThat(mismatches).as("outcomes that differ from Go's").isEmpty();
    }

    /**
     * Rule I2 (docs/spec/channels.md) on the same scripts: Go has no interrupt, so here the outcome is
     * not Go's but conservation. Each script runs again with its main operations in their try forms
     * (they may no longer have a partner) and, before a random third of the steps, an interrupt sent to
     * a random parked thread, which races with the step's handoff to that thread. At the end every
     * value is counted: each value whose send returned normally (a thread's send or send case that
     * completed, interrupt status or not, or a successful try-send) was received exactly once, or is
     * still in the closed channel's buffer; no value whose send threw or was interrupted was received.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void I2_interruptsRacingHandoffsInTheMultiGoroutineScriptsLoseAndDuplicateNoValue(Kind kind) throws Exception {
        List<Script> scripts = load("/go-oracle/traces-multi.txt");
        scripts.addAll(load("/go-oracle/traces-multi-ring.txt"));
        List<String> failures = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(kind.ordinal() + 1);
        BoundedScriptRun.run(kind == Kind.VIRTUAL, BOUND_SECONDS, () -> {
            for (Script s : scripts) {
                if (failures.size() >= MAX_MISMATCHES) {
                    break;
                }
                conserve(s, kind, random.split(), failures);
            }
        }, failures::toString);
        assertThat(failures).as("values lost or duplicated").isEmpty();
    }

    private static void conserve(Script s, Kind kind, SplittableRandom random, List<String> failures)
            throws InterruptedException {
        List<Chan<Integer>> chans = new ArrayList<>();
        for (int c : s.capacities()) {
            chans.add(c < 0 ? Chan.nil() : Chan.make(c));
        }
        Thread.Builder builder = kind == Kind.VIRTUAL ? Thread.ofVirtual() : Thread.ofPlatform().daemon();
        List<Integer> sent = new ArrayList<>();
        List<Integer> received = new ArrayList<>();
        List<String[]> threads = new ArrayList<>(); // op, and outcome once joined
        List<Thread> started = new ArrayList<>();
        List<AtomicReference<String>> outcomes = new ArrayList<>();
        List<List<Integer>> rangedBy = new ArrayList<>();
        for (Step step : s.steps()) {
            if (!started.isEmpty() && random.nextInt(3) == 0) {
                Thread victim = started.get(random.nextInt(started.size()));
                if (victim.isAlive()) {
                    victim.interrupt(); // races with this step's handoff, if any
                }
            }
            if (step.op().startsWith("go ")) {
                String op = step.op().split(" ", 3)[2];
                AtomicReference<String> outcome = new AtomicReference<>();
                List<Integer> ranged = new java.util.concurrent.CopyOnWriteArrayList<>();
                Thread t = builder.start(() -> {
                    try {
                        if (op.startsWith("range ")) { // an interrupted range keeps what it took
                            chans.get(Integer.parseInt(op.split(" ")[1])).range(ranged::add);
                            outcome.set("ranged");
                        } else {
                            outcome.set(GoOracleTest.run(op, chans));
                        }
                    } catch (InterruptedException e) {
                        outcome.set("interrupted");
                    }
                });
                rangedBy.add(ranged);
                started.add(t);
                outcomes.add(outcome);
                threads.add(new String[] {op});
                settles(t);
                continue;
            }
            if (step.op().startsWith("tryrecv* ")) { // the corpus's notation keeps only a hash: count here
                Chan<Integer> ch = chans.get(Integer.parseInt(step.op().split(" ")[1]));
                for (Received<Integer> r; (r = ch.tryReceive()).ok(); ) {
                    received.add(r.value());
                }
                continue;
            }
            String op = tryForm(step.op());
            String got = GoOracleTest.run(op, chans);
            account(op, got, sent, received);
        }
        for (int i = 0; i < started.size(); i++) {
            Thread t = started.get(i);
            t.join(TimeUnit.SECONDS.toMillis(STEP_BOUND_SECONDS));
            if (t.isAlive()) {
                failures.add("script " + s.id() + ": thread " + i + " (" + threads.get(i)[0] + ") still parked after every channel closed");
                t.interrupt();
                t.join(TimeUnit.SECONDS.toMillis(STEP_BOUND_SECONDS));
                continue;
            }
            account(threads.get(i)[0], outcomes.get(i).get(), sent, received);
            received.addAll(rangedBy.get(i));
        }
        for (Chan<Integer> ch : chans) {
            for (Received<Integer> r; (r = ch.tryReceive()).ok(); ) {
                received.add(r.value()); // still buffered in a closed channel
            }
        }
        List<Integer> a = new ArrayList<>(sent);
        List<Integer> b = new ArrayList<>(received);
        a.sort(null);
        b.sort(null);
        if (!a.equals(b)) {
            failures.add("script " + s.id() + ": sent " + a + ", received " + b);
        }
    }

    /** The operation in a form that cannot wait for a partner an interrupt may have removed. */
    private static String tryForm(String op) {
        if (op.startsWith("send ")) {
            return "try" + op;
        }
        if (op.startsWith("recv ")) {
            return "try" + op;
        }
        if (op.startsWith("select ") && !op.endsWith("| default")) {
            return op + " | default";
        }
        return op; // try-operations, bursts, close, len, cap; range only on a closed channel
    }

    /** Adds what one operation with this outcome sent and received. */
    private static void account(String op, String out, List<Integer> sent, List<Integer> received) {
        String[] w = op.split(" ");
        switch (w[0]) {
            case "trysend", "send" -> {
                if (out.equals("ok")) {
                    sent.add(Integer.valueOf(w[2]));
                }
            }
            case "tryrecv", "recv" -> {
                if (out.endsWith(" true")) {
                    received.add(Integer.valueOf(out.split(" ")[0]));
                }
            }
            case "range" -> {
                if (out.startsWith("[") && out.length() > 2) {
                    for (String v : out.substring(1, out.length() - 1).split(" ")) {
                        received.add(Integer.valueOf(v));
                    }
                }
            }
            case "select" -> {
                if (out.startsWith("case ")) {
                    String[] o = out.split(" ");
                    String c = op.substring("select ".length()).split(" \\| ")[Integer.parseInt(o[1])];
                    if (c.startsWith("send ")) {
                        sent.add(Integer.valueOf(c.split(" ")[2]));
                    } else if (o.length == 4 && o[3].equals("true")) {
                        received.add(Integer.valueOf(o[2]));
                    }
                }
            }
            case "trysend*" -> {
                int first = Integer.parseInt(w[2]);
                int n = Integer.parseInt(out.split(" ")[1]);
                for (int k = 0; k < n; k++) {
                    sent.add(first + k);
                }
            }
            default -> { }
        }
    }

    /** One goroutine of a script: its thread and, once it ended, its outcome in the oracle's notation. */
    record Goroutine(Thread thread, AtomicReference<String> outcome) {}

    /** Replays one script; stops at its first mismatch (what follows would only repeat it). */
    private static final class Replay {
        private final Script script;
        private final Thread.Builder builder;
        private final List<String> mismatches;
        private final List<Chan<Integer>> chans = new ArrayList<>();
        private final Map<Integer, Goroutine> parked = new HashMap<>();
        /** Whether main-thread steps rotate through every {@link GoOracleTest.Form} (S7), from where. */
        private final boolean everyForm;
        private int form;

        Replay(Script script, Kind kind, List<String> mismatches, boolean everyForm) {
            this.script = script;
            this.everyForm = everyForm;
            this.form = script.id();
            this.builder = kind == Kind.VIRTUAL ? Thread.ofVirtual() : Thread.ofPlatform().daemon();
            this.mismatches = mismatches;
            for (int c : script.capacities()) {
                chans.add(c < 0 ? Chan.nil() : Chan.make(c));
            }
        }

        void run() throws InterruptedException {
            try {
                for (Step step : script.steps()) {
                    if (!step(step)) {
                        return;
                    }
                }
                if (!parked.isEmpty()) {
                    mismatch(script.steps().get(script.steps().size() - 1).line(),
                            "threads " + parked.keySet() + " still running after the last step");
                }
            } finally {
                for (Goroutine g : parked.values()) { // only after a mismatch: end them for the leak check
                    g.thread().interrupt();
                    g.thread().join(TimeUnit.SECONDS.toMillis(STEP_BOUND_SECONDS));
                }
            }
        }

        /** Runs one step and compares it; false after a mismatch. */
        private boolean step(Step step) throws InterruptedException {
            if (step.op().equals("forever")) {
                return parkedForever(step);
            }
            if (step.op().startsWith("go ")) {
                String[] w = step.op().split(" ", 3);
                int id = Integer.parseInt(w[1]);
                String op = w[2];
                AtomicReference<String> outcome = new AtomicReference<>();
                Thread t = builder.start(() -> outcome.set(goroutine(op, id)));
                Goroutine g = new Goroutine(t, outcome);
                if (!settles(t) && t.isAlive()) {
                    parked.put(id, g);
                    return mismatch(step.line(), step.op() + " -> Go: " + step.expected() + ", gochan: still running "
                            + describe(t));
                }
                String got = t.isAlive() ? "blocked" : outcome.get();
                if (t.isAlive()) {
                    parked.put(id, g);
                }
                if (!same(step.expected(), got)) {
                    return mismatch(step.line(), step.op() + " -> Go: " + step.expected() + ", gochan: " + got);
                }
            } else {
                GoOracleTest.Form f = everyForm ? GoOracleTest.Form.values()[form++ % GoOracleTest.Form.values().length]
                        : GoOracleTest.Form.TRY;
                String got = GoOracleTest.run(step.op(), chans, f);
                if (!same(step.expected(), got)) {
                    return mismatch(step.line(), step.op() + (f == GoOracleTest.Form.TRY ? "" : " as " + f)
                            + " -> Go: " + step.expected() + ", gochan: " + got);
                }
            }
            for (Wake wake : step.wakes()) {
                Goroutine g = parked.remove(wake.goroutine());
                if (g == null) {
                    return mismatch(wake.line(), "goroutine " + wake.goroutine() + " was not parked in gochan");
                }
                g.thread().join(TimeUnit.SECONDS.toMillis(STEP_BOUND_SECONDS));
                if (g.thread().isAlive()) {
                    parked.put(wake.goroutine(), g);
                    return mismatch(wake.line(), "wake " + wake.goroutine() + " -> Go: " + wake.expected()
                            + ", gochan: still parked " + describe(g.thread()));
                }
                if (!same(wake.expected(), g.outcome().get())) {
                    return mismatch(wake.line(), "wake " + wake.goroutine() + " -> Go: " + wake.expected()
                            + ", gochan: " + g.outcome().get());
                }
            }
            // Quiescence: every thread Go left parked is parked in gochan too, none finished on its own.
            for (Map.Entry<Integer, Goroutine> e : parked.entrySet()) {
                Thread t = e.getValue().thread();
                if (!settles(t)) {
                    return mismatch(step.line(), "after " + step.op() + ": goroutine " + e.getKey()
                            + " -> Go: still parked, gochan: "
                            + (t.isAlive() ? "running " + describe(t) : e.getValue().outcome().get()));
                }
            }
            return true;
        }

        /**
         * GO5's last step: the threads still parked after every channel was closed are the goroutines Go named
         * ({@code none} or their numbers), each still parked in its channel operation; interrupted, each ends.
         */
        private boolean parkedForever(Step step) throws InterruptedException {
            TreeSet<Integer> expected = new TreeSet<>();
            if (!step.expected().equals("none")) {
                for (String g : step.expected().split(" ")) {
                    expected.add(Integer.valueOf(g));
                }
            }
            if (!expected.equals(new TreeSet<>(parked.keySet()))) {
                return mismatch(step.line(), "parked for ever -> Go: " + expected + ", gochan: " + new TreeSet<>(parked.keySet()));
            }
            for (Map.Entry<Integer, Goroutine> e : parked.entrySet()) {
                if (!settles(e.getValue().thread())) {
                    return mismatch(step.line(), "goroutine " + e.getKey() + " -> Go: parked for ever, gochan: "
                            + e.getValue().outcome().get());
                }
            }
            for (Integer g : expected) {
                Goroutine parkedOne = parked.remove(g);
                parkedOne.thread().interrupt();
                parkedOne.thread().join(TimeUnit.SECONDS.toMillis(STEP_BOUND_SECONDS));
                if (parkedOne.thread().isAlive() || !"interrupted".equals(parkedOne.outcome().get())) {
                    parked.put(g, parkedOne);
                    return mismatch(step.line(), "goroutine " + g + " interrupted -> gochan: "
                            + (parkedOne.thread().isAlive() ? "still parked" : parkedOne.outcome().get()));
                }
            }
            return true;
        }

        /**
         * A goroutine's one blocking operation (the oracle's notation), with its outcome. Goroutine
         * {@code id} uses one of three forms of the operation, so each form meets every situation: the
         * plain one ({@code send}, {@code receiveOk}, {@code range}, a select); a timed one with a bound
         * that never runs out ({@code send(v, timeout)}, {@code receive(timeout)}, a select with a
         * timeout case; S6); and the throwing or iterating one through a view ({@code sendOnly().send},
         * {@code receive()}, whose {@link ChannelClosedException} says "receive from closed channel" (K4),
         * and {@code for (v : receiveOnly())}).
         */
        private String goroutine(String op, int id) {
            try {
                return switch (id % 3) {
                    case 1 -> timed(op);
                    case 2 -> viaViews(op);
                    default -> GoOracleTest.run(op, chans);
                };
            } catch (InterruptedException | ChannelInterruptedException e) {
                return "interrupted"; // only GO5's last step and the clean-up after a mismatch interrupt
            } catch (RuntimeException e) {
                return "threw " + e;
            }
        }

        private String timed(String op) throws InterruptedException {
            String[] w = op.split(" ");
            Chan<Integer> ch = w[0].equals("select") ? null : chans.get(Integer.parseInt(w[1]));
            try {
                switch (w[0]) {
                    case "send":
                        return ch.send(Integer.valueOf(w[2]), NEVER) ? "ok" : "timed out";
                    case "recv": {
                        Received<Integer> r = ch.receive(NEVER);
                        return r.ok() ? r.value() + " true" : r.closed() ? "0 false" : "timed out";
                    }
                    case "select":
                        return GoOracleTest.select(op.substring("select ".length()) + " | timeout", chans);
                    default:
                        return GoOracleTest.run(op, chans);
                }
            } catch (ChannelClosedException e) {
                return "panic " + e.getMessage().replaceFirst(": Chan\\(.*", ""); // Go's words, without the channel K6 names
            }
        }

        private String viaViews(String op) throws InterruptedException {
            String[] w = op.split(" ");
            Chan<Integer> ch = w[0].equals("select") ? null : chans.get(Integer.parseInt(w[1]));
            switch (w[0]) {
                case "send":
                    try {
                        ch.sendOnly().send(Integer.valueOf(w[2]));
                        return "ok";
                    } catch (ChannelClosedException e) {
                        return "panic " + e.getMessage().replaceFirst(": Chan\\(.*", ""); // Go's words, without the channel K6 names
                    }
                case "recv":
                    try {
                        return ch.receiveOnly().receive() + " true";
                    } catch (ChannelClosedException e) {
                        return e.getMessage().startsWith("receive from closed channel") ? "0 false" : "threw " + e;
                    }
                case "range": {
                    List<String> got = new ArrayList<>();
                    for (Integer v : ch.receiveOnly()) {
                        got.add(String.valueOf(v));
                    }
                    return "[" + String.join(" ", got) + "]";
                }
                default:
                    return GoOracleTest.run(op, chans);
            }
        }

        private boolean mismatch(int line, String what) {
            mismatches.add("script " + script.id() + " line " + line + ": " + what);
            return false;
        }
    }

    /** Go's panic message is a prefix of ours (gochan may add where it happened); everything else is exact. */
    private static boolean same(String expected, String got) {
        if (got == null) {
            return false;
        }
        if (expected.startsWith("panic ") && got.startsWith("panic ")) {
            return got.startsWith(expected);
        }
        return expected.equals(got);
    }

    /**
     * Parked in a channel operation: waiting, with a park blocker that is not a lock (a channel's wait
     * node that no partner has claimed yet, or a select; see {@code Waiter.await}). A thread waiting for
     * a channel's lock is on its way, not parked; so is a thread whose wait a partner has completed. (A
     * select's waiter is not reachable from its blocker; a select that a partner completed ends, and
     * the wake lines join it.)
     */
    static boolean parkedInChannel(Thread t) {
        Thread.State s = t.getState();
        if (s != Thread.State.WAITING && s != Thread.State.TIMED_WAITING) {
            return false;
        }
        Object blocker = LockSupport.getBlocker(t);
        if (blocker instanceof WaitNode node) {
            // A platform thread that a partner has just woken still shows WAITING until it runs; its
            // waiter is completed then. A range re-parks with the same reusable node, reset.
            return !node.waiter().isCompleted();
        }
        return blocker != null && !(blocker instanceof AbstractQueuedSynchronizer);
    }

    /**
     * Waits, at most {@link #STEP_BOUND_SECONDS}, until t is parked in a channel operation (true) or has
     * ended (false); false too if neither happens in time. The first look that sees it parked decides:
     * a range re-parks with its thread's reusable waiter (the same wait node, reset), so a look can read
     * "waiting" from the park a value just ended and then the node already reset and enqueued for the
     * next park, an instant before the thread parks; a second look then read "running" (a CI run failed
     * so). Such a thread is as good as parked for the next step: its node is in the channel's queue,
     * where a partner completes it.
     */
    static boolean settles(Thread t) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STEP_BOUND_SECONDS);
        while (true) {
            if (parkedInChannel(t)) {
                return true;
            }
            if (!t.isAlive() || System.nanoTime() >= deadline) {
                return false;
            }
            Thread.onSpinWait();
            SelectRulesTest.letOthersRun();
        }
    }

    private static String describe(Thread t) {
        return t.getState() + " on " + LockSupport.getBlocker(t);
    }

    /** Parses a corpus in multi.go's notation. */
    static List<Script> load(String corpus) throws IOException {
        List<Script> scripts = new ArrayList<>();
        try (InputStream in = GoOracleMultiTest.class.getResourceAsStream(corpus)) {
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
                    String op = line.substring(0, arrow);
                    String out = line.substring(arrow + 4);
                    if (op.startsWith("wake ")) {
                        List<Step> steps = current.steps();
                        steps.get(steps.size() - 1).wakes().add(new Wake(lineNo, Integer.parseInt(op.substring(5)), out));
                    } else {
                        current.steps().add(new Step(lineNo, op, out, new ArrayList<>()));
                    }
                }
            }
        }
        return scripts;
    }
}

package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.Context;
import io.gochan.Received;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.select.GoOracleTest.Kind;
import io.gochan.select.GoOracleTest.Script;
import io.gochan.select.GoOracleTest.Step;
import java.util.ArrayList;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rule GO3 (docs/spec/select.md): a select with several ready cases has exactly Go's set of outcomes. The corpus
 * {@code traces-anyready.txt} ({@code src/test/go-oracle/anyready.go}, shape "anyready" of {@code record.sh})
 * holds single-goroutine scripts whose selects may find several cases ready; for each such select Go's whole set
 * of outcomes was recorded (the recorder replayed the script so far and ran the select 400 times) and the one the
 * script went on from. This test replays each script on gochan: every step that Go decides alone must have Go's
 * outcome (as {@link GoOracleTest}), and at a select with several ready cases gochan's outcome must be one of
 * Go's, and replaying the script up to it on fresh channels and running it again must give every one of Go's
 * outcomes and no other. Then the script goes on from the outcome Go went on from: the channels are rebuilt by
 * replaying every earlier step, each such select as the one case Go chose (the same effect on the channels).
 * The selects run in turn as each Java spelling of Go's statement ({@link Form}), and the sends, receives and
 * ranges, which Go decides alone, in each Java form of Go's blocking operation ({@link #runInForm}). {@link CapacityOracleTest}
 * checks against a model that such a select fires one of its ready cases; this test asks Go which outcomes
 * there are and checks that gochan reaches each of them. GO1's corpora run here once more in the same forms.
 */
@NoGoroutineLeaks
class GoOracleAnyReadyTest {
    /** The corpus runs in about a second; a bound, not a speed requirement. */
    static final long BOUND_SECONDS = 60;

    /**
     * Runs of one select needed to see every one of Go's outcomes, at most: with at most four ready cases drawn
     * uniformly (L2) one is missed with probability below {@code 4 * (3/4)^1000}, which is never.
     */
    static final int MAX_TRIES = 1000;

    /**
     * The Java spellings of Go's {@code select} statement, each with its own code on the way to the choice: the
     * k-th select with several ready cases of the corpus runs in form {@code k % 4}, so each form meets several
     * hundred of them. {@code SEEDED} is a statement given a seeded random source ({@code random}, one generator
     * for the whole run), which must reach every ready case too.
     */
    enum Form { STATEMENT, CASES, BUILDER, SEEDED }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void GO3_aSelectWithSeveralReadyCasesHasExactlyGosOutcomes(Kind kind) throws Exception {
        List<Script> scripts = GoOracleTest.load("/go-oracle/traces-anyready.txt");
        assertThat(scripts).hasSizeGreaterThanOrEqualTo(100);
        List<String> mismatches = new ArrayList<>();
        int[] anyReady = new int[1];
        SplittableRandom seeded = new SplittableRandom(37);
        BoundedScriptRun.run(kind == Kind.VIRTUAL, BOUND_SECONDS, () -> {
            for (Script s : scripts) {
                anyReady[0] = replay(s, mismatches, anyReady[0], seeded);
            }
        }, mismatches::toString);
        assertThat(mismatches).as("outcomes that differ from Go's").isEmpty();
        assertThat(anyReady[0]).as("selects with several ready cases in the corpus").isGreaterThanOrEqualTo(1000);
    }

    /**
     * GO1's corpora ({@code traces.txt}, {@code traces-ring.txt} at the lock-free ring's capacities) once more, each
     * send, receive, range and select in the Java forms of {@link #runInForm}: twenty passes, each starting every
     * script at another form, so every step meets every form.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void GO1_theSingleGoroutineCorporaHaveGosOutcomesInEveryBlockingFormAndSelectSpelling(Kind kind) throws Exception {
        List<String> mismatches = new ArrayList<>();
        SplittableRandom seeded = new SplittableRandom(37);
        for (String corpus : List.of("/go-oracle/traces.txt", "/go-oracle/traces-ring.txt")) {
            List<Script> scripts = GoOracleTest.load(corpus);
            assertThat(scripts).hasSizeGreaterThanOrEqualTo(100);
            BoundedScriptRun.run(kind == Kind.VIRTUAL, BOUND_SECONDS, () -> {
                for (int pass = 0; pass < BLOCKING_FORMS * Form.values().length; pass++) {
                    for (Script s : scripts) {
                        List<Chan<Integer>> chans = fresh(s);
                        int form = pass + s.id();
                        for (Step step : s.steps()) {
                            String got = runInForm(step.op(), chans, form++, seeded);
                            if (!matches(step.expected(), got)) {
                                mismatches.add(corpus + " " + where(s, step) + " in form " + (form - 1) + " -> Go: "
                                        + step.expected() + ", gochan: " + got);
                            }
                        }
                    }
                }
            }, mismatches::toString);
        }
        assertThat(mismatches).as("outcomes that differ from Go's").isEmpty();
    }

    /** What Go recorded for a select with several ready cases: every outcome, and the one the script took. */
    record AnyReady(Set<String> outcomes, String took) {
        static AnyReady parse(String expected) {
            // "any [OUT ; OUT ; ...] took OUT"
            int close = expected.indexOf("] took ");
            Set<String> outs = new LinkedHashSet<>(Arrays.asList(expected.substring("any [".length(), close).split(" ; ")));
            return new AnyReady(outs, expected.substring(close + "] took ".length()));
        }
    }

    /**
     * Runs one script; {@code anyReady} counts the corpus's selects with several ready cases so far (it picks each
     * one's {@link Form}), and the count after this script is returned.
     */
    private static int replay(Script s, List<String> mismatches, int anyReady, RandomGenerator seeded)
            throws InterruptedException {
        List<Chan<Integer>> chans = fresh(s);
        List<Step> steps = s.steps();
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            if (!step.expected().startsWith("any [")) {
                int form = s.id() + i; // each script starts at another form, so each form meets each kind of step
                String got = runInForm(step.op(), chans, form, seeded);
                if (!matches(step.expected(), got)) {
                    mismatches.add(where(s, step) + " in form " + form % BLOCKING_FORMS + " -> Go: " + step.expected()
                            + ", gochan: " + got);
                }
                continue;
            }
            Form form = Form.values()[anyReady++ % Form.values().length];
            String cases = step.op().substring("select ".length());
            AnyReady go = AnyReady.parse(step.expected());
            Set<String> seen = new LinkedHashSet<>();
            String got = select(cases, chans, form, seeded); // on the script's own channels first
            for (int t = 0; ; t++) {
                String canon = canonical(go.outcomes(), got);
                if (!go.outcomes().contains(canon)) {
                    mismatches.add(where(s, step) + " as " + form + " -> Go: one of " + go.outcomes() + ", gochan: " + got);
                    break;
                }
                seen.add(canon);
                if (seen.equals(go.outcomes())) {
                    break;
                }
                if (t == MAX_TRIES) {
                    mismatches.add(where(s, step) + " as " + form + " -> Go: any of " + go.outcomes() + ", gochan only " + seen
                            + " in " + MAX_TRIES + " runs");
                    break;
                }
                got = select(cases, upTo(s, i), form, seeded);
            }
            chans = upTo(s, i + 1); // go on from Go's choice, whatever gochan chose
        }
        return anyReady;
    }

    /** How many Java forms {@link #runInForm} has for a send, a receive and a range. */
    static final int BLOCKING_FORMS = 5;

    /**
     * One step that Go decides alone, a send, a receive or a range (Go's blocking operations, which the corpus uses
     * only where they complete at once) in Java form {@code form % BLOCKING_FORMS}, any other step as
     * {@link GoOracleTest#run} does (S7's forms of the non-blocking steps are {@link GoOracleTest}'s). A send:
     * {@code send}, with a context that is never done, with an hour to wait, through the send-only view, and
     * {@code send} again. A receive: {@code receiveOk}, plain {@code receive} (which throws
     * {@link ChannelClosedException} "receive from closed channel" where Go gives the zero value and {@code false},
     * the Java mapping of K4: read here as Go's {@code 0 false}), the context-aware {@code receive} (the same mapping)
     * and {@code receiveOk}, and a receive with an hour to wait. A range: {@code range}, a for-each loop (K4),
     * {@code stream()}, the receive-only view's {@code range}, and its for-each loop. A select (with one ready case
     * at most, or a default that runs) in each {@link Form}.
     */
    static String runInForm(String op, List<Chan<Integer>> chans, int form, RandomGenerator seeded)
            throws InterruptedException {
        String[] w = op.split(" ");
        int f = form % BLOCKING_FORMS;
        try {
            switch (w[0]) {
                case "send": {
                    Chan<Integer> ch = chan(chans, w);
                    Integer v = Integer.valueOf(w[2]);
                    switch (f) {
                        case 1 -> ch.send(v, Context.background());
                        case 2 -> {
                            if (!ch.send(v, Duration.ofHours(1))) {
                                return "timed out"; // never in a test: Go's send completed at once
                            }
                        }
                        case 3 -> ch.sendOnly().send(v);
                        default -> ch.send(v);
                    }
                    return "ok";
                }
                case "recv": {
                    Chan<Integer> ch = chan(chans, w);
                    return switch (f) {
                        case 1 -> closedAsGo(() -> ch.receive() + " true");
                        case 2 -> closedAsGo(() -> ch.receive(Context.background()) + " true");
                        case 3 -> GoOracleTest.received(ch.receiveOk(Context.background()));
                        case 4 -> GoOracleTest.received(ch.receive(Duration.ofHours(1)));
                        default -> GoOracleTest.received(ch.receiveOk());
                    };
                }
                case "range": {
                    Chan<Integer> ch = chan(chans, w);
                    List<Integer> got = new ArrayList<>();
                    switch (f) {
                        case 1 -> ch.forEach(got::add);
                        case 2 -> got.addAll(ch.stream().toList());
                        case 3 -> ch.receiveOnly().range(got::add);
                        case 4 -> {
                            for (Integer v : ch.receiveOnly()) {
                                got.add(v);
                            }
                        }
                        default -> ch.range(got::add);
                    }
                    return got.stream().map(String::valueOf).collect(Collectors.joining(" ", "[", "]"));
                }
                case "select":
                    return select(op.substring("select ".length()), chans, Form.values()[form % Form.values().length], seeded);
                default:
                    return GoOracleTest.run(op, chans);
            }
        } catch (ChannelClosedException e) {
            return "panic " + e.getMessage().replaceFirst(": Chan\\(.*", ""); // Go's words, without the channel K6 names
        }
    }

    /** A plain receive, its value in the oracle's notation. */
    private interface PlainReceive {
        String run() throws InterruptedException;
    }

    /** A plain receive's value, or Go's zero value and {@code false} for its "receive from closed channel" (K4). */
    private static String closedAsGo(PlainReceive receive) throws InterruptedException {
        try {
            return receive.run();
        } catch (ChannelClosedException e) {
            assertThat(e).hasMessageStartingWith("receive from closed channel");
            return "0 false";
        }
    }

    /**
     * A select over the cases "recv i", "send i v" and "default" (separated by " | "), in the given form, with its
     * outcome in the oracle's notation ({@link GoOracleTest#select} for a statement).
     */
    static String select(String cases, List<Chan<Integer>> chans, Form form, RandomGenerator seeded)
            throws InterruptedException {
        String[] cs = cases.split(" \\| ");
        try {
            switch (form) {
                case STATEMENT:
                    return GoOracleTest.select(cases, chans);
                case SEEDED:
                    return GoOracleTest.select(cases, chans, seeded);
                case CASES: {
                    Select<String> sel = Select.cases();
                    for (int k = 0; k < cs.length; k++) {
                        String[] w = cs[k].split(" ");
                        String index = "case " + k;
                        switch (w[0]) {
                            case "recv" -> sel.receiveOk(chan(chans, w), r -> index + " " + GoOracleTest.received(r));
                            case "send" -> sel.send(chan(chans, w), Integer.valueOf(w[2]), () -> index);
                            default -> sel.orElse(() -> "default");
                        }
                    }
                    return sel.select();
                }
                case BUILDER: {
                    Selection<String, RuntimeException> sel = null;
                    for (int k = 0; k < cs.length; k++) {
                        String[] w = cs[k].split(" ");
                        String index = "case " + k;
                        Selection.OnValue<Received<Integer>, String, RuntimeException> onValue = r -> index + " " + GoOracleTest.received(r);
                        Selection.OnEvent<String, RuntimeException> onSent = () -> index;
                        if (sel == null) { // the first case starts the typed builder (cs[0] is never the default)
                            sel = w[0].equals("recv") ? Select.onReceiveOk(chan(chans, w), onValue)
                                    : Select.onSend(chan(chans, w), Integer.valueOf(w[2]), onSent);
                            continue;
                        }
                        switch (w[0]) {
                            case "recv" -> sel.receiveOk(chan(chans, w), onValue);
                            case "send" -> sel.send(chan(chans, w), Integer.valueOf(w[2]), onSent);
                            default -> sel.orElse(() -> "default");
                        }
                    }
                    return sel.select();
                }
                default:
                    throw new AssertionError(form);
            }
        } catch (ChannelClosedException e) {
            return "panic " + e.getMessage().replaceFirst(": Chan\\(.*", ""); // Go's words, without the channel K6 names
        }
    }

    private static Chan<Integer> chan(List<Chan<Integer>> chans, String[] words) {
        return chans.get(Integer.parseInt(words[1]));
    }

    /** Go's panic message is a prefix of ours (K6 adds the channel): the outcome in Go's words if so. */
    private static String canonical(Set<String> outcomes, String got) {
        for (String o : outcomes) {
            if (matches(o, got)) {
                return o;
            }
        }
        return got;
    }

    private static boolean matches(String expected, String got) {
        if (expected.startsWith("panic ") && got != null && got.startsWith("panic ")) {
            return got.startsWith(expected);
        }
        return expected.equals(got);
    }

    private static String where(Script s, Step step) {
        return "script " + s.id() + " line " + step.line() + ": " + step.op();
    }

    private static List<Chan<Integer>> fresh(Script s) {
        List<Chan<Integer>> chans = new ArrayList<>();
        for (int c : s.capacities()) {
            chans.add(c < 0 ? Chan.nil() : Chan.make(c));
        }
        return chans;
    }

    /**
     * Fresh channels with the script's first {@code n} steps replayed, each select with several ready cases as
     * the one case Go went on from (a select that panicked changed nothing, so it is left out).
     */
    private static List<Chan<Integer>> upTo(Script s, int n) throws InterruptedException {
        List<Chan<Integer>> chans = fresh(s);
        for (Step step : s.steps().subList(0, n)) {
            if (!step.expected().startsWith("any [")) {
                GoOracleTest.run(step.op(), chans); // checked already, on the script's own channels
                continue;
            }
            String took = AnyReady.parse(step.expected()).took();
            if (took.startsWith("panic ")) {
                continue;
            }
            String[] w = took.split(" ", 3); // "case K" or "case K V OK"
            int k = Integer.parseInt(w[1]);
            String theCase = step.op().substring("select ".length()).split(" \\| ")[k];
            String got = GoOracleTest.select(theCase, chans);
            assertThat(got).as("case %d of %s alone", k, step.op()).isEqualTo("case 0" + (w.length > 2 ? " " + w[2] : ""));
        }
        return chans;
    }
}

package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.Received;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rule GO1 (docs/spec/select.md) at every buffer shape, against a sequential model of Go's channel.
 * {@link GoOracleTest} replays what Go recorded (at these capacities too, in {@code traces-ring.txt}),
 * where a select has at most one ready case; this test drives random single-thread scripts over channels
 * of capacities on both sides of the lock-free ring's bounds (0, 1, 16, 63, 64, 65, 100, 4096, 4097 and
 * nil) and compares every outcome with {@link Model}, a plain queue that does what Go's runtime does in
 * one goroutine (the notation and the facts are GoOracleTest's). Bursts that
 * fill a channel to one past its capacity and drain it reach the full and empty edges of the big rings,
 * and a select may have several ready cases (it must fire one of them: L2's choice is random) and name
 * one channel twice (L7). Also checked at every step: {@code len()} within {@code [0, cap()]} (C2),
 * timed operations that cannot proceed change nothing (S6), {@code receive()} on a closed drained
 * channel throws (K4), and send cases on closed channels throw as Go panics (L4).
 */
@NoGoroutineLeaks
class CapacityOracleTest {
    static final int[] CAPACITIES = {-1, 0, 1, 16, 63, 64, 65, 100, 4096, 4097};
    static final int SCRIPTS = 400;
    static final long BOUND_SECONDS = 120;

    enum Kind { VIRTUAL, PLATFORM }

    /** Go's channel in one goroutine: capacity (-1 for nil), buffer, closed. */
    static final class Model {
        final int cap;
        final ArrayDeque<Integer> buf = new ArrayDeque<>();
        boolean closed;

        Model(int cap) {
            this.cap = cap;
        }

        boolean sendReady() {
            return cap >= 0 && (closed || buf.size() < cap);
        }

        boolean recvReady() {
            return cap >= 0 && (closed || !buf.isEmpty());
        }

        /** A send that is ready: "ok" or Go's panic. */
        String send(int v) {
            if (closed) {
                return "panic send on closed channel";
            }
            buf.addLast(v);
            return "ok";
        }

        /** A receive that is ready: "v true" or "0 false". */
        String recv() {
            return buf.isEmpty() ? "0 false" : buf.pollFirst() + " true";
        }

        int len() {
            return cap < 0 ? 0 : buf.size();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void GO1_randomScriptsAgreeWithGosModelAtEveryCapacity(Kind kind) throws Exception {
        List<String> mismatches = new ArrayList<>();
        BoundedScriptRun.run(kind == Kind.VIRTUAL, BOUND_SECONDS, () -> {
            SplittableRandom seeds = new SplittableRandom(20261202L);
            for (int id = 0; id < SCRIPTS && mismatches.size() < 20; id++) {
                script(id, seeds.split(), mismatches);
            }
        }, mismatches::toString);
        assertThat(mismatches).as("outcomes that differ from Go's").isEmpty();
    }

    private static void script(int id, SplittableRandom r, List<String> mismatches) throws InterruptedException {
        int nch = 1 + r.nextInt(3);
        List<Chan<Integer>> chans = new ArrayList<>();
        List<Model> models = new ArrayList<>();
        StringBuilder trace = new StringBuilder("script " + id + ":");
        for (int i = 0; i < nch; i++) {
            int c = CAPACITIES[r.nextInt(CAPACITIES.length)];
            chans.add(c < 0 ? Chan.nil() : Chan.make(c));
            models.add(new Model(c));
            trace.append(" chan").append(i).append('=').append(c);
        }
        int[] val = {1};
        int ops = 10 + r.nextInt(40);
        for (int k = 0; k < ops; k++) {
            int i = r.nextInt(nch);
            Chan<Integer> ch = chans.get(i);
            Model m = models.get(i);
            int op = r.nextInt(100);
            String line;
            String expected;
            String got;
            if (op < 15) {
                int v = val[0]++;
                line = "trysend " + i + " " + v;
                expected = m.sendReady() ? m.send(v) : "block";
                got = guard(() -> ch.trySend(v) ? "ok" : "block");
            } else if (op < 27) {
                line = "tryrecv " + i;
                expected = m.recvReady() ? m.recv() : "block";
                got = guard(() -> received(ch.tryReceive()));
            } else if (op < 33) {
                if (!m.sendReady()) {
                    continue;
                }
                int v = val[0]++;
                line = "send " + i + " " + v;
                expected = m.send(v);
                got = guard(() -> {
                    ch.send(v);
                    return "ok";
                });
            } else if (op < 39) {
                if (!m.recvReady()) {
                    continue;
                }
                boolean plain = r.nextBoolean();
                line = (plain ? "recv(plain) " : "recv ") + i;
                String e = m.recv();
                expected = plain && e.equals("0 false") ? "panic receive from closed channel" : e;
                got = guard(() -> plain ? ch.receive() + " true" : received(ch.receiveOk()));
            } else if (op < 43) {
                // Timed forms (S6): if not ready, they time out and change nothing; if ready, they proceed.
                boolean send = r.nextBoolean();
                Duration d = Duration.ofMillis(1);
                if (send) {
                    int v = val[0]++;
                    line = "timedsend " + i + " " + v;
                    expected = m.sendReady() ? m.send(v) : "block";
                    got = guard(() -> ch.send(v, d) ? "ok" : "block");
                } else {
                    line = "timedrecv " + i;
                    expected = m.recvReady() ? m.recv() : "block";
                    got = guard(() -> received(ch.receive(d)));
                }
            } else if (op < 49) {
                // A burst that fills the channel and tries one more (the full edge of a ring).
                int room = m.cap < 0 || m.closed ? 1 : Math.max(0, m.cap - m.buf.size()) + 1;
                StringBuilder e = new StringBuilder();
                StringBuilder g = new StringBuilder();
                for (int n = 0; n < room; n++) {
                    int v = val[0]++;
                    e.append(m.sendReady() ? m.send(v) : "block").append(',');
                    g.append(guard(() -> ch.trySend(v) ? "ok" : "block")).append(',');
                    String len = String.valueOf(ch.len());
                    e.append(m.len()).append(';');
                    g.append(len).append(';');
                }
                line = "fill " + i;
                expected = e.toString();
                got = g.toString();
            } else if (op < 55) {
                // A burst of receives (some to one past empty), checking len after each.
                int n = 1 + (r.nextBoolean() ? m.buf.size() : r.nextInt(Math.max(1, m.buf.size() + 1)));
                StringBuilder e = new StringBuilder();
                StringBuilder g = new StringBuilder();
                for (int j = 0; j < n; j++) {
                    e.append(m.recvReady() ? m.recv() : "block").append(',').append(m.len()).append(';');
                    g.append(guard(() -> received(ch.tryReceive()))).append(',').append(ch.len()).append(';');
                }
                line = "drain " + i + " x" + n;
                expected = e.toString();
                got = g.toString();
            } else if (op < 62) {
                line = "close " + i;
                if (m.cap < 0) {
                    expected = "panic close of nil channel";
                } else if (m.closed) {
                    expected = "panic close of closed channel";
                } else {
                    m.closed = true;
                    expected = "ok";
                }
                got = guard(() -> {
                    ch.close();
                    return "ok";
                });
            } else if (op < 67) {
                line = "len/cap " + i;
                expected = m.len() + "/" + Math.max(0, m.cap);
                got = ch.len() + "/" + ch.cap();
            } else if (op < 71) {
                if (m.cap < 0 || !m.closed) {
                    continue; // range ends only on a closed channel
                }
                line = "range " + i;
                List<Integer> rest = new ArrayList<>(m.buf);
                m.buf.clear();
                expected = rest.toString();
                List<Integer> it = new ArrayList<>();
                if (r.nextBoolean()) {
                    got = guard(() -> {
                        ch.range(it::add);
                        return it.toString();
                    });
                } else {
                    got = guard(() -> {
                        for (Integer v : ch) {
                            it.add(v);
                        }
                        return it.toString();
                    });
                }
            } else {
                String[] lineOut = new String[1];
                String[] out = select(r, chans, models, val, lineOut);
                if (out == null) {
                    continue;
                }
                line = lineOut[0];
                expected = out[0];
                got = out[1];
            }
            trace.append("\n  ").append(line).append(" -> ").append(got);
            // len within [0, cap] after every step (C2)
            for (int j = 0; j < nch; j++) {
                int len = chans.get(j).len();
                if (len < 0 || len > chans.get(j).cap() || len != models.get(j).len()) {
                    mismatches.add(trace + "\n  len of chan" + j + " is " + len + ", model " + models.get(j).len());
                    return;
                }
            }
            if (!expected.equals(got)) {
                mismatches.add(trace + "\n  expected: " + expected);
                return;
            }
        }
    }

    /**
     * A select over two or three random cases (the same channel may appear twice), with a default half the
     * time. Returns {expected, got}, or null if Go's select would block forever. Several ready cases: the
     * select must fire one of them, and the model then does what that case does.
     */
    private static String[] select(SplittableRandom r, List<Chan<Integer>> chans, List<Model> models, int[] val,
            String[] lineOut) throws InterruptedException {
        int ncases = 2 + r.nextInt(2);
        boolean[] send = new boolean[ncases];
        int[] ch = new int[ncases];
        int[] vals = new int[ncases];
        int ready = 0;
        StringBuilder line = new StringBuilder("select");
        for (int c = 0; c < ncases; c++) {
            send[c] = r.nextBoolean();
            ch[c] = r.nextInt(chans.size());
            Model m = models.get(ch[c]);
            if (send[c]) {
                vals[c] = val[0]++;
                line.append(" | send ").append(ch[c]).append(' ').append(vals[c]);
            } else {
                line.append(" | recv ").append(ch[c]);
            }
            if (send[c] ? m.sendReady() : m.recvReady()) {
                ready++;
            }
        }
        boolean hasDefault = r.nextBoolean();
        if (ready == 0 && !hasDefault) {
            return null;
        }
        if (hasDefault) {
            line.append(" | default");
        }
        lineOut[0] = line.toString();
        SelectStatement st = Select.statement();
        AtomicReference<String> outcome = new AtomicReference<>();
        int[] firedCase = {-2};
        for (int c = 0; c < ncases; c++) {
            int k = c;
            if (send[c]) {
                st.send(chans.get(ch[c]), vals[c], () -> outcome.set("case " + k));
            } else {
                st.receiveOk(chans.get(ch[c]), v -> outcome.set("case " + k + " " + received(v)));
            }
        }
        if (hasDefault) {
            st.orElse(() -> outcome.set("default"));
        }
        String got;
        try {
            firedCase[0] = st.run();
            got = outcome.get();
        } catch (ChannelClosedException e) {
            got = "panic " + e.getMessage().replaceFirst(": Chan\\(.*", ""); // Go's words, without the channel K6 names
        }
        // Which case fired, as far as the outcome tells (a panic: find a send case on a closed channel).
        if (ready == 0) {
            return new String[] {"default", got};
        }
        int f = firedCase[0];
        if (got.startsWith("panic ")) {
            // Go panics when it picks a send case on a closed channel; accept it if such a case is there.
            for (int c = 0; c < ncases; c++) {
                if (send[c] && models.get(ch[c]).closed && got.startsWith("panic send on closed channel")) {
                    return new String[] {got, got};
                }
            }
            return new String[] {"one of the " + ready + " ready cases", got};
        }
        if (f < 0 || f >= ncases) {
            return new String[] {"one of the " + ready + " ready cases", got};
        }
        Model m = models.get(ch[f]);
        if (!(send[f] ? m.sendReady() : m.recvReady())) {
            return new String[] {"one of the " + ready + " ready cases, not case " + f, got};
        }
        String expected = send[f] ? (m.closed ? "panic send on closed channel" : "case " + f) : "case " + f + " " + m.recv();
        if (send[f] && !m.closed) {
            m.send(vals[f]);
        }
        return new String[] {expected, got};
    }

    interface Op {
        String run() throws Exception;
    }

    private static String guard(Op op) throws InterruptedException {
        try {
            return op.run();
        } catch (ChannelClosedException e) {
            return "panic " + e.getMessage().replaceFirst(": Chan\\(.*", ""); // Go's words, without the channel K6 names
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            return "exception " + e;
        }
    }

    private static String received(Received<Integer> r) {
        if (r.ok()) {
            return r.value() + " true";
        }
        return r.closed() ? "0 false" : "block";
    }
}

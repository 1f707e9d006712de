package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.OverflowPolicy;
import io.gochan.Received;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Corners of Go's channel and select semantics that the recorded corpora (GO1-GO6) leave out
 * or touch only in passing, compared with Go 1.19. The Go program is
 * {@code channels-select/src/test/go-evidence/corners/main.go}; its {@code det} transcript is recorded below as
 * {@link #GO_TRANSCRIPT} and rebuilt here step by step from gochan (on a platform and on a virtual thread);
 * {@link #recordedTranscriptIsWhatGoSays} runs the Go program again when {@code go} is on the PATH. No timer is
 * involved (Go 1.19 and 1.23 differ there). Go's panics are {@code ChannelClosedException} here, compared by
 * Go's words (the message up to the channel's description, K6).
 */
@NoGoroutineLeaks
class GoCornersOracleTest {

    /** Go 1.19.8's output of {@code go run main.go det}. */
    static final String GO_TRANSCRIPT = """
D1 cap 0 close -> ok
D1 cap 0 close -> panic close of closed channel
D1 cap 0 len 0 cap 0
D1 cap 0 trysend -> panic send on closed channel
D1 cap 0 close -> panic close of closed channel
D1 cap 0 recv -> 0 false len 0
D1 cap 1 close -> ok
D1 cap 1 close -> panic close of closed channel
D1 cap 1 len 1 cap 1
D1 cap 1 trysend -> panic send on closed channel
D1 cap 1 close -> panic close of closed channel
D1 cap 1 recv -> 1 true len 0
D1 cap 1 recv -> 0 false len 0
D1 cap 3 close -> ok
D1 cap 3 close -> panic close of closed channel
D1 cap 3 len 2 cap 3
D1 cap 3 trysend -> panic send on closed channel
D1 cap 3 close -> panic close of closed channel
D1 cap 3 recv -> 1 true len 1
D1 cap 3 recv -> 2 true len 0
D1 cap 3 recv -> 0 false len 0
D1 cap 63 close -> ok
D1 cap 63 close -> panic close of closed channel
D1 cap 63 len 2 cap 63
D1 cap 63 trysend -> panic send on closed channel
D1 cap 63 close -> panic close of closed channel
D1 cap 63 recv -> 1 true len 1
D1 cap 63 recv -> 2 true len 0
D1 cap 63 recv -> 0 false len 0
D1 cap 64 close -> ok
D1 cap 64 close -> panic close of closed channel
D1 cap 64 len 2 cap 64
D1 cap 64 trysend -> panic send on closed channel
D1 cap 64 close -> panic close of closed channel
D1 cap 64 recv -> 1 true len 1
D1 cap 64 recv -> 2 true len 0
D1 cap 64 recv -> 0 false len 0
D1 cap 65 close -> ok
D1 cap 65 close -> panic close of closed channel
D1 cap 65 len 2 cap 65
D1 cap 65 trysend -> panic send on closed channel
D1 cap 65 close -> panic close of closed channel
D1 cap 65 recv -> 1 true len 1
D1 cap 65 recv -> 2 true len 0
D1 cap 65 recv -> 0 false len 0
D1 cap 4096 close -> ok
D1 cap 4096 close -> panic close of closed channel
D1 cap 4096 len 2 cap 4096
D1 cap 4096 trysend -> panic send on closed channel
D1 cap 4096 close -> panic close of closed channel
D1 cap 4096 recv -> 1 true len 1
D1 cap 4096 recv -> 2 true len 0
D1 cap 4096 recv -> 0 false len 0
D1 cap 4097 close -> ok
D1 cap 4097 close -> panic close of closed channel
D1 cap 4097 len 2 cap 4097
D1 cap 4097 trysend -> panic send on closed channel
D1 cap 4097 close -> panic close of closed channel
D1 cap 4097 recv -> 1 true len 1
D1 cap 4097 recv -> 2 true len 0
D1 cap 4097 recv -> 0 false len 0
D2 close nil -> panic close of nil channel
D2 close nil -> panic close of nil channel
D2 nil len 0 cap 0 trysend block tryrecv block
D3 cap 1 -> 10 true len 0 | 0 false len 0 | 0 false len 0 | 0 false len 0
D3 cap 3 -> 10 true len 1 | 20 true len 0 | 0 false len 0 | 0 false len 0
D3 cap 63 -> 10 true len 1 | 20 true len 0 | 0 false len 0 | 0 false len 0
D3 cap 64 -> 10 true len 1 | 20 true len 0 | 0 false len 0 | 0 false len 0
D3 cap 65 -> 10 true len 1 | 20 true len 0 | 0 false len 0 | 0 false len 0
D3 cap 4096 -> 10 true len 1 | 20 true len 0 | 0 false len 0 | 0 false len 0
D3 cap 4097 -> 10 true len 1 | 20 true len 0 | 0 false len 0 | 0 false len 0
D4 cap 0 open 0/0 closed 0/0 drained 0/0
D4 cap 1 open 0/1 closed 0/1 drained 0/1
D4 cap 3 open 1/3 closed 1/3 drained 0/3
D4 cap 63 open 5/63 closed 5/63 drained 0/63
D4 cap 64 open 5/64 closed 5/64 drained 0/64
D4 cap 65 open 5/65 closed 5/65 drained 0/65
D4 cap 4096 open 5/4096 closed 5/4096 drained 0/4096
D4 cap 4097 open 5/4097 closed 5/4097 drained 0/4097
D5 cap 4 close at 1 send false -> [1 2 3] end len 0
D5 cap 4 close at 1 send true -> [1 2 3 10] end len 0
D5 cap 4 close at 2 send false -> [1 2 3] end len 0
D5 cap 4 close at 2 send true -> [1 2 3 10] end len 0
D5 cap 4 close at 3 send false -> [1 2 3] end len 0
D5 cap 4 close at 3 send true -> [1 2 3 10] end len 0
D5 cap 4 close then send -> [1] panic send on closed channel len 1 then 2 true
D5 cap 64 close at 1 send false -> [1 2 3] end len 0
D5 cap 64 close at 1 send true -> [1 2 3 10] end len 0
D5 cap 64 close at 2 send false -> [1 2 3] end len 0
D5 cap 64 close at 2 send true -> [1 2 3 10] end len 0
D5 cap 64 close at 3 send false -> [1 2 3] end len 0
D5 cap 64 close at 3 send true -> [1 2 3 10] end len 0
D5 cap 64 close then send -> [1] panic send on closed channel len 1 then 2 true
D5 cap 65 close at 1 send false -> [1 2 3] end len 0
D5 cap 65 close at 1 send true -> [1 2 3 10] end len 0
D5 cap 65 close at 2 send false -> [1 2 3] end len 0
D5 cap 65 close at 2 send true -> [1 2 3 10] end len 0
D5 cap 65 close at 3 send false -> [1 2 3] end len 0
D5 cap 65 close at 3 send true -> [1 2 3 10] end len 0
D5 cap 65 close then send -> [1] panic send on closed channel len 1 then 2 true
D6 nil recv | nil send | default -> default
D6 nil recv | nil send | recv closed -> case 2 0 false
D6 nil recv | send closed | default -> panic send on closed channel
D7 send u | recv u | default -> default len 0
D8 senders cap 0 -> [1 2 3 4 5 6 7 8]
D8 receivers cap 0 -> [11 22 33 44 55 66 77 88]
D8 senders cap 2 -> [100 101 1 2 3 4 5 6 7 8]
D8 receivers cap 2 -> [11 22 33 44 55 66 77 88]
D8 senders cap 64 -> [100 163 1 2 3 4 5 6 7 8]
D8 receivers cap 64 -> [11 22 33 44 55 66 77 88]
D9 cap 0 close b -> case 1 0 false
D9 cap 0 close s -> panic send on closed channel then block len 0
D9 cap 1 close b -> case 1 0 false
D9 cap 1 close s -> panic send on closed channel then block len 0
D9 cap 64 close b -> case 1 0 false
D9 cap 64 close s -> panic send on closed channel then block len 0
D10 cap 1 recv 0 len 1 senders [sent panic send on closed channel panic send on closed channel] drained 1 last 1000 hash 1000 then 0 false
D10 cap 64 recv 0 len 64 senders [sent panic send on closed channel panic send on closed channel] drained 64 last 1000 hash 8076207281266509768 then 0 false
D10 cap 4096 recv 0 len 4096 senders [sent panic send on closed channel panic send on closed channel] drained 4096 last 1000 hash -7735753880581899288 then 0 false
D10 cap 4097 recv 0 len 4097 senders [sent panic send on closed channel panic send on closed channel] drained 4097 last 1000 hash -697339814609944 then 0 false
D11 cap 0 trysend ok len 0 receivers [7 true case 0 0 false []]
D11 cap 1 trysend ok len 0 receivers [7 true case 0 0 false []]
D11 cap 64 trysend ok len 0 receivers [7 true case 0 0 false []]
D11 cap 4097 trysend ok len 0 receivers [7 true case 0 0 false []]
D12 senders cap 0 -> [1 3 4] [sent quit false sent sent] then block
D12 receivers cap 0 -> [11 true quit false 33 true] len 0
D12 senders cap 2 -> [1 3 4] [sent quit false sent sent] then block
D12 receivers cap 2 -> [11 true quit false 33 true] len 0
D12 senders cap 64 -> [1 3 4] [sent quit false sent sent] then block
D12 receivers cap 64 -> [11 true quit false 33 true] len 0
D12 senders cap 4097 -> [1 3 4] [sent quit false sent sent] then block
D12 receivers cap 4097 -> [11 true quit false 33 true] len 0
""";

    private static final int[] CAPS = {0, 1, 3, 63, 64, 65, 4096, 4097};

    // ---------------------------------------------------------------------------------------------------------
    // the transcript

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void transcriptMatchesGo(boolean virtual) throws Exception {
        AtomicReference<Object> out = new AtomicReference<>();
        Thread t = (virtual ? Thread.ofVirtual() : Thread.ofPlatform()).start(() -> {
            try {
                out.set(new Transcript(virtual).run());
            } catch (Throwable e) {
                out.set(e);
            }
        });
        t.join(TimeUnit.SECONDS.toMillis(120));
        assertThat(t.isAlive()).as("transcript finished").isFalse();
        if (out.get() instanceof Throwable e) {
            throw new AssertionError(e);
        }
        assertThat(lines((String) out.get())).containsExactlyElementsOf(lines(GO_TRANSCRIPT));
    }

    @Test
    void recordedTranscriptIsWhatGoSays() throws Exception {
        Path dir = goEvidence();
        String go = findGo();
        Assumptions.assumeTrue(go != null && dir != null, "go not on the PATH");
        Process p = new ProcessBuilder(go, "run", "main.go", "det")
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(text).isZero();
        assertThat(lines(text)).containsExactlyElementsOf(lines(GO_TRANSCRIPT));
    }

    private static List<String> lines(String s) {
        return s.lines().toList();
    }

    private static Path goEvidence() {
        for (Path p : List.of(Path.of("src/test/go-evidence/corners"), Path.of("channels-select/src/test/go-evidence/corners"))) {
            if (Files.isRegularFile(p.resolve("main.go"))) {
                return p;
            }
        }
        return null;
    }

    private static String findGo() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(d, "go");
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        return null;
    }

    /** Go's words of a refusal: the message up to the channel's description, without a waiting note. */
    static String goWords(ChannelClosedException e) {
        String m = e.getMessage();
        int i = m.indexOf(": ");
        if (i >= 0) {
            m = m.substring(0, i);
        }
        return m.replaceAll(" \\(closed while the (sender|select) waited\\)$", "");
    }

    interface Step {
        String get() throws Exception;
    }

    static String guard(Step f) throws Exception {
        try {
            return f.get();
        } catch (ChannelClosedException e) {
            return "panic " + goWords(e);
        }
    }

    static String rr(Received<Integer> r) {
        assertThat(r.notReady()).isFalse();
        return r.closed() ? "0 false" : r.value() + " true";
    }

    static String tryRecv(Chan<Integer> ch) throws Exception {
        return guard(() -> {
            Received<Integer> r = ch.tryReceive();
            return r.notReady() ? "block" : rr(r);
        });
    }

    static String trySend(Chan<Integer> ch, int v) throws Exception {
        return guard(() -> ch.trySend(v) ? "ok" : "block");
    }

    /** The steps of main.go's det(), one for one. */
    static final class Transcript {
        final boolean virtual;
        final StringBuilder sb = new StringBuilder();

        Transcript(boolean virtual) {
            this.virtual = virtual;
        }

        void p(String s) {
            sb.append(s).append('\n');
        }

        Thread go(Runnable r) {
            return (virtual ? Thread.ofVirtual() : Thread.ofPlatform()).start(r);
        }

        String run() throws Exception {
            d1();
            d2();
            d3();
            d4();
            d5();
            d6();
            d7();
            d8();
            d9();
            d10();
            d11();
            d12();
            return sb.toString();
        }

        void d1() throws Exception {
            for (int c : CAPS) {
                Chan<Integer> ch = Chan.make(c);
                int n = Math.min(c, 2);
                for (int i = 1; i <= n; i++) {
                    ch.send(i);
                }
                p("D1 cap " + c + " close -> " + guard(() -> { ch.close(); return "ok"; }));
                p("D1 cap " + c + " close -> " + guard(() -> { ch.close(); return "ok"; }));
                p("D1 cap " + c + " len " + ch.len() + " cap " + ch.cap());
                p("D1 cap " + c + " trysend -> " + trySend(ch, 9));
                p("D1 cap " + c + " close -> " + guard(() -> { ch.close(); return "ok"; }));
                for (int k = 0; k <= n; k++) {
                    String r = guard(() -> rr(ch.receiveOk()));
                    p("D1 cap " + c + " recv -> " + r + " len " + ch.len());
                }
            }
        }

        void d2() throws Exception {
            Chan<Integer> nil = Chan.nil();
            p("D2 close nil -> " + guard(() -> { nil.close(); return "ok"; }));
            p("D2 close nil -> " + guard(() -> { nil.close(); return "ok"; }));
            p("D2 nil len " + nil.len() + " cap " + nil.cap() + " trysend " + trySend(nil, 1) + " tryrecv " + tryRecv(nil));
        }

        void d3() throws Exception {
            for (int c : Arrays.copyOfRange(CAPS, 1, CAPS.length)) {
                Chan<Integer> ch = Chan.make(c);
                for (int i = 1; i <= 2 && i <= c; i++) {
                    ch.send(i * 10);
                }
                ch.close();
                List<String> parts = new ArrayList<>();
                for (int k = 0; k < 4; k++) {
                    parts.add(rr(ch.receiveOk()) + " len " + ch.len());
                }
                p("D3 cap " + c + " -> " + String.join(" | ", parts));
            }
        }

        void d4() throws Exception {
            for (int c : CAPS) {
                Chan<Integer> ch = Chan.make(c);
                int k = Math.min(c / 2, 5);
                for (int i = 0; i < k; i++) {
                    ch.send(i);
                }
                String a = ch.len() + "/" + ch.cap();
                ch.close();
                String b = ch.len() + "/" + ch.cap();
                ch.range(v -> {});
                p("D4 cap " + c + " open " + a + " closed " + b + " drained " + ch.len() + "/" + ch.cap());
            }
        }

        void d5() throws Exception {
            for (int c : new int[] {4, 64, 65}) {
                for (int at : new int[] {1, 2, 3}) {
                    for (boolean sendFirst : new boolean[] {false, true}) {
                        Chan<Integer> ch = Chan.make(c);
                        for (int i = 1; i <= 3; i++) {
                            ch.send(i);
                        }
                        List<String> got = new ArrayList<>();
                        String out = guard(() -> {
                            ch.range(v -> {
                                got.add(String.valueOf(v));
                                if (v == at) {
                                    if (sendFirst) {
                                        ch.send(10);
                                    }
                                    ch.close();
                                }
                            });
                            return "end";
                        });
                        p("D5 cap " + c + " close at " + at + " send " + sendFirst + " -> [" + String.join(" ", got) + "] " + out
                                + " len " + ch.len());
                    }
                }
                Chan<Integer> ch = Chan.make(c);
                ch.send(1);
                ch.send(2);
                List<String> got = new ArrayList<>();
                String out = guard(() -> {
                    ch.range(v -> {
                        got.add(String.valueOf(v));
                        ch.close();
                        ch.send(3);
                    });
                    return "end";
                });
                p("D5 cap " + c + " close then send -> [" + String.join(" ", got) + "] " + out + " len " + ch.len() + " then "
                        + tryRecv(ch));
            }
        }

        void d6() throws Exception {
            Chan<Integer> nil = Chan.nil();
            Chan<Integer> closed = Chan.make();
            closed.close();
            p("D6 nil recv | nil send | default -> " + Select.<String>cases()
                    .receive(nil, v -> "case 0")
                    .send(nil, 1, () -> "case 1")
                    .orElse(() -> "default")
                    .select());
            p("D6 nil recv | nil send | recv closed -> " + guard(() -> Select.<String>cases()
                    .receive(nil, v -> "case 0")
                    .send(nil, 1, () -> "case 1")
                    .receiveOk(closed, r -> "case 2 " + rr(r))
                    .select()));
            p("D6 nil recv | send closed | default -> " + guard(() -> Select.<String>cases()
                    .receive(nil, v -> "case 0")
                    .send(closed, 1, () -> "case 1")
                    .orElse(() -> "default")
                    .select()));
        }

        void d7() throws Exception {
            Chan<Integer> u = Chan.make();
            String r = Select.<String>cases()
                    .send(u, 1, () -> "case 0")
                    .receiveOk(u, x -> "case 1 " + rr(x))
                    .orElse(() -> "default")
                    .select();
            p("D7 send u | recv u | default -> " + r + " len " + u.len());
        }

        void d8() throws Exception {
            Chan<Integer> nil = Chan.nil();
            for (int c : new int[] {0, 2, 64}) {
                Chan<Integer> ch = Chan.make(c);
                for (int i = 0; i < c; i++) {
                    ch.send(100 + i);
                }
                List<Thread> threads = new ArrayList<>();
                for (int i = 1; i <= 8; i++) {
                    int v = i;
                    threads.add(go(() -> {
                        try {
                            if (v % 2 == 0) {
                                Select.statement().send(ch, v, null).receive(nil, null).run();
                            } else {
                                ch.send(v);
                            }
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                    }));
                    SelectRulesTest.awaitSenders(ch, i);
                }
                List<String> got = new ArrayList<>();
                for (int i = 0; i < c + 8; i++) {
                    int v = ch.receive();
                    if (v < 100 || i == c - 1 || i == 0) {
                        got.add(String.valueOf(v));
                    }
                }
                for (Thread t : threads) {
                    t.join();
                }
                p("D8 senders cap " + c + " -> [" + String.join(" ", got) + "]");
                int[] res = new int[9];
                threads.clear();
                for (int i = 1; i <= 8; i++) {
                    int k = i;
                    threads.add(go(() -> {
                        try {
                            if (k % 2 == 1) {
                                Select.statement().receive(ch, v -> res[k] = v).send(nil, 1, null).run();
                            } else {
                                res[k] = ch.receive();
                            }
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                    }));
                    SelectRulesTest.awaitReceivers(ch, i);
                }
                for (int i = 1; i <= 8; i++) {
                    ch.send(i * 11);
                }
                for (Thread t : threads) {
                    t.join();
                }
                p("D8 receivers cap " + c + " -> " + Arrays.toString(Arrays.copyOfRange(res, 1, 9)).replace(",", ""));
            }
        }

        void d9() throws Exception {
            for (int c : new int[] {0, 1, 64}) {
                Chan<Integer> a = Chan.make(c);
                Chan<Integer> b = Chan.make(c);
                Chan<Integer> s = Chan.make();
                AtomicReference<String> res = new AtomicReference<>();
                Thread t = go(() -> res.set(guardUnchecked(() -> Select.<String>cases()
                        .receiveOk(a, r -> "case 0 " + rr(r))
                        .receiveOk(b, r -> "case 1 " + rr(r))
                        .send(s, 5, () -> "case 2")
                        .select())));
                SelectRulesTest.awaitReceivers(b, 1);
                SelectRulesTest.awaitSenders(s, 1);
                b.close();
                t.join();
                p("D9 cap " + c + " close b -> " + res.get());
                t = go(() -> res.set(guardUnchecked(() -> Select.<String>cases()
                        .receiveOk(a, r -> "case 0 " + rr(r))
                        .send(s, 5, () -> "case 1")
                        .select())));
                SelectRulesTest.awaitReceivers(a, 1);
                SelectRulesTest.awaitSenders(s, 1);
                s.close();
                t.join();
                p("D9 cap " + c + " close s -> " + res.get() + " then " + tryRecv(a) + " len " + a.len());
            }
        }

        void d10() throws Exception {
            Chan<Integer> nil = Chan.nil();
            for (int c : new int[] {1, 64, 4096, 4097}) {
                Chan<Integer> ch = Chan.make(c);
                for (int i = 0; i < c; i++) {
                    ch.send(i);
                }
                String[] res = new String[3];
                List<Thread> threads = new ArrayList<>();
                for (int g = 0; g < 3; g++) {
                    int k = g;
                    threads.add(go(() -> res[k] = guardUnchecked(() -> {
                        if (k == 1) {
                            return Select.<String>cases().send(ch, 1000 + k, () -> "sent").receive(nil, v -> "nil").select();
                        }
                        ch.send(1000 + k);
                        return "sent";
                    })));
                    SelectRulesTest.awaitSenders(ch, g + 1);
                }
                int v = ch.receive();
                threads.get(0).join();
                int l = ch.len();
                ch.close();
                for (Thread t : threads) {
                    t.join();
                }
                long[] acc = {0, -1, 0};
                ch.range(x -> {
                    acc[0]++;
                    acc[1] = x;
                    acc[2] = acc[2] * 31 + x;
                });
                p("D10 cap " + c + " recv " + v + " len " + l + " senders [" + String.join(" ", res) + "] drained " + acc[0]
                        + " last " + acc[1] + " hash " + acc[2] + " then " + tryRecv(ch));
            }
        }

        void d11() throws Exception {
            Chan<Integer> nil = Chan.nil();
            for (int c : new int[] {0, 1, 64, 4097}) {
                Chan<Integer> ch = Chan.make(c);
                String[] res = new String[3];
                List<Thread> threads = new ArrayList<>();
                for (int g = 0; g < 3; g++) {
                    int k = g;
                    threads.add(go(() -> res[k] = guardUnchecked(() -> switch (k) {
                        case 0 -> rr(ch.receiveOk());
                        case 1 -> Select.<String>cases().receiveOk(ch, r -> "case 0 " + rr(r)).send(nil, 1, () -> "nil").select();
                        default -> {
                            List<String> got = new ArrayList<>();
                            ch.range(x -> got.add(String.valueOf(x)));
                            yield "[" + String.join(" ", got) + "]";
                        }
                    })));
                    SelectRulesTest.awaitReceivers(ch, g + 1);
                }
                String t1 = trySend(ch, 7);
                threads.get(0).join();
                int l = ch.len();
                ch.close();
                for (Thread t : threads) {
                    t.join();
                }
                p("D11 cap " + c + " trysend " + t1 + " len " + l + " receivers [" + String.join(" ", res) + "]");
            }
        }

        void d12() throws Exception {
            Chan<Integer> nil = Chan.nil();
            for (int c : new int[] {0, 2, 64, 4097}) {
                Chan<Integer> ch = Chan.make(c);
                Chan<Integer> quit0 = Chan.make();
                for (int i = 0; i < c; i++) {
                    ch.send(-1);
                }
                String[] res = new String[5];
                List<Thread> threads = new ArrayList<>();
                for (int g = 1; g <= 4; g++) {
                    int k = g;
                    threads.add(go(() -> res[k] = guardUnchecked(() -> switch (k) {
                        case 2 -> Select.<String>cases().send(ch, k, () -> "sent").receiveOk(quit0, r -> "quit " + r.ok()).select();
                        case 4 -> Select.<String>cases().send(ch, k, () -> "sent").receive(nil, v -> "nil").select();
                        default -> {
                            ch.send(k);
                            yield "sent";
                        }
                    })));
                    SelectRulesTest.awaitSenders(ch, g);
                }
                quit0.close();
                threads.get(1).join(); // S2 left on its quit case
                List<String> got = new ArrayList<>();
                for (int i = 0; i < c + 3; i++) {
                    int v = ch.receive();
                    if (v > 0) {
                        got.add(String.valueOf(v));
                    }
                }
                for (Thread t : threads) {
                    t.join();
                }
                p("D12 senders cap " + c + " -> [" + String.join(" ", got) + "] [" + String.join(" ", Arrays.copyOfRange(res, 1, 5))
                        + "] then " + tryRecv(ch));
                Chan<Integer> quit = Chan.make();
                String[] rres = new String[4];
                threads.clear();
                for (int g = 1; g <= 3; g++) {
                    int k = g;
                    threads.add(go(() -> rres[k] = guardUnchecked(() -> k == 2
                            ? Select.<String>cases().receiveOk(ch, r -> rr(r)).receiveOk(quit, r -> "quit " + r.ok()).select()
                            : rr(ch.receiveOk()))));
                    SelectRulesTest.awaitReceivers(ch, g);
                }
                quit.close();
                threads.get(1).join();
                ch.send(11);
                ch.send(33);
                for (Thread t : threads) {
                    t.join();
                }
                p("D12 receivers cap " + c + " -> [" + String.join(" ", Arrays.copyOfRange(rres, 1, 4)) + "] len " + ch.len());
            }
        }
    }

    static String guardUnchecked(Step f) {
        try {
            return guard(f);
        } catch (Exception e) {
            return "exception " + e;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The transcript's range steps in the other Java spellings of Go's range: a for-each loop and a stream

    @ParameterizedTest
    @ValueSource(ints = {4, 64, 65})
    void rangeClosedByItsOwnBodyInEveryForm(int c) throws Exception {
        for (int form = 0; form < 3; form++) {
            for (int at = 1; at <= 3; at++) {
                for (boolean sendFirst : new boolean[] {false, true}) {
                    Chan<Integer> ch = Chan.make(c);
                    for (int i = 1; i <= 3; i++) {
                        ch.send(i);
                    }
                    List<Integer> got = new ArrayList<>();
                    int stop = at;
                    ThrowingBody body = v -> {
                        got.add(v);
                        if (v == stop) {
                            if (sendFirst) {
                                ch.send(10);
                            }
                            ch.close();
                        }
                    };
                    runRange(form, ch, body);
                    List<Integer> want = sendFirst ? List.of(1, 2, 3, 10) : List.of(1, 2, 3);
                    assertThat(got).as("form %d, cap %d, close at %d, send %s", form, c, at, sendFirst).isEqualTo(want);
                    assertThat(ch.len()).isZero();
                }
            }
        }
    }

    interface ThrowingBody {
        void accept(Integer v) throws InterruptedException;
    }

    private static void runRange(int form, Chan<Integer> ch, ThrowingBody body) throws InterruptedException {
        switch (form) {
            case 0 -> ch.range(body::accept);
            case 1 -> {
                for (Integer v : ch) {
                    body.accept(v);
                }
            }
            default -> ch.stream().forEach(v -> {
                try {
                    body.accept(v);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
        }
    }

    /** A range on another thread; the channel is closed while the body runs, from the body's own latch. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 64})
    void rangeEndsAfterValuesWhenClosedByAnotherThreadWhileTheBodyRuns(int c) throws Exception {
        for (int form = 0; form < 3; form++) {
            Chan<Integer> ch = Chan.make(c);
            CountDownLatch inBody = new CountDownLatch(1);
            CountDownLatch closedNow = new CountDownLatch(1);
            List<Integer> got = new ArrayList<>();
            int f = form;
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    runRange(f, ch, v -> {
                        got.add(v);
                        if (v == 1) {
                            inBody.countDown();
                            closedNow.await();
                        }
                    });
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            ch.send(1);
            inBody.await();
            int sent = 1;
            while (ch.trySend(sent + 1)) { // fills the buffer while the body holds the range
                sent++;
            }
            ch.close();
            closedNow.countDown();
            t.join(TimeUnit.SECONDS.toMillis(20));
            assertThat(t.isAlive()).isFalse();
            List<Integer> want = new ArrayList<>();
            for (int i = 1; i <= sent; i++) {
                want.add(i);
            }
            assertThat(got).as("form %d cap %d", form, c).isEqualTo(want);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // close of a closed channel leaves every shape intact (Go has only SUSPEND; the others must follow K1 too)

    @Test
    void closeOfClosedLeavesEveryShapeIntact() throws Exception {
        List<Supplier<Chan<Integer>>> shapes = List.of(
                () -> Chan.make(3), () -> Chan.make(64), () -> Chan.make(4097),
                () -> Chan.make(3, OverflowPolicy.DROP_OLDEST), () -> Chan.make(64, OverflowPolicy.DROP_LATEST),
                Chan::conflated, Chan::unlimited);
        for (Supplier<Chan<Integer>> shape : shapes) {
            Chan<Integer> ch = shape.get();
            ch.send(7);
            ch.close();
            String before = ch.toString();
            assertThatThrownBy(ch::close).isInstanceOf(ChannelClosedException.class).hasMessageStartingWith("close of closed channel");
            assertThatThrownBy(ch.sendOnly()::close).isInstanceOf(ChannelClosedException.class);
            assertThat(ch.toString()).isEqualTo(before);
            assertThat(ch.isClosed()).isTrue();
            assertThat(ch.len()).as(before).isEqualTo(1);
            assertThatThrownBy(() -> ch.trySend(8)).isInstanceOf(ChannelClosedException.class);
            assertThat(ch.receiveOk()).isEqualTo(Received.of(7));
            assertThat(ch.receiveOk().closed()).isTrue();
            assertThat(ch.len()).isZero();
        }
        Chan<Integer> nil = Chan.nil();
        assertThatThrownBy(nil::close).isInstanceOf(ChannelClosedException.class).hasMessage("close of nil channel");
        assertThat(nil.isClosed()).isFalse();
        assertThat(nil.tryReceive().notReady()).isTrue();
        assertThat(nil.trySend(1)).isFalse();
    }

    // ---------------------------------------------------------------------------------------------------------
    // the choice among several ready cases (Go: uniform; go run main.go stat)

    static double chiSquare(int[] counts) {
        double expected = Arrays.stream(counts).sum() / (double) counts.length;
        double chi = 0;
        for (int c : counts) {
            chi += (c - expected) * (c - expected) / expected;
        }
        return chi;
    }

    /** Critical values at p = 1e-6 for 1, 2, 3 and 7 degrees of freedom. */
    static double critical(int cases) {
        return switch (cases) {
            case 2 -> 23.93;
            case 3 -> 27.64;
            case 4 -> 30.67;
            case 8 -> 40.53;
            default -> throw new IllegalArgumentException();
        };
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 64})
    void duplicateCasesOnOneChannelAreChosenUniformly(int c) throws Exception {
        Chan<Integer> ch = Chan.make(c);
        int[] h = new int[2];
        for (int i = 0; i < 8000; i++) {
            ch.send(1);
            Select.statement().receive(ch, v -> h[0]++).receive(ch, v -> h[1]++).run();
        }
        assertThat(chiSquare(h)).as(Arrays.toString(h)).isLessThan(critical(2));
        int[] s = new int[3];
        int[] last = new int[1];
        for (int i = 0; i < 8000; i++) {
            Select.statement()
                    .send(ch, 1, () -> s[last[0] = 0]++)
                    .send(ch, 2, () -> s[last[0] = 1]++)
                    .send(ch, 3, () -> s[last[0] = 2]++)
                    .run();
            assertThat(ch.receive()).as("the chosen case's value").isEqualTo(last[0] + 1);
            assertThat(ch.len()).isZero();
        }
        assertThat(chiSquare(s)).as(Arrays.toString(s)).isLessThan(critical(3));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 64})
    void twoThreeAndEightReadyCasesMixedSendAndReceiveAreChosenUniformly(int c) throws Exception {
        Chan<Integer> a = Chan.make(c);
        Chan<Integer> b = Chan.make(c);
        Chan<Integer> s = Chan.make(c);
        Chan<Integer> t = Chan.make(c);
        Chan<Integer> cl = Chan.make();
        cl.close();
        int n = 8000;
        int[] two = new int[2];
        int[] three = new int[3];
        int[] eight = new int[8];
        for (int i = 0; i < n; i++) {
            refill(a, b, s, t);
            Select.statement().receive(a, v -> two[0]++).send(s, 1, () -> two[1]++).run();
            refill(a, b, s, t);
            Select.statement().send(s, 1, () -> three[0]++).receiveOk(cl, r -> three[1]++).receive(a, v -> three[2]++).run();
            refill(a, b, s, t);
            Select.statement()
                    .receive(a, v -> eight[0]++)
                    .receive(b, v -> eight[1]++)
                    .receive(a, v -> eight[2]++)
                    .receiveOk(cl, r -> eight[3]++)
                    .send(s, 1, () -> eight[4]++)
                    .send(t, 1, () -> eight[5]++)
                    .send(s, 2, () -> eight[6]++)
                    .receive(b, v -> eight[7]++)
                    .run();
        }
        assertThat(chiSquare(two)).as(Arrays.toString(two)).isLessThan(critical(2));
        assertThat(chiSquare(three)).as(Arrays.toString(three)).isLessThan(critical(3));
        assertThat(chiSquare(eight)).as(Arrays.toString(eight)).isLessThan(critical(8));
    }

    private static void refill(Chan<Integer> a, Chan<Integer> b, Chan<Integer> s, Chan<Integer> t) {
        if (a.len() == 0) {
            a.trySend(1);
        }
        if (b.len() == 0) {
            b.trySend(1);
        }
        while (s.tryReceive().ok()) {
            // empty
        }
        while (t.tryReceive().ok()) {
            // empty
        }
    }

    /** Parked partners make cases ready too: eight cases, each on a channel with a parked partner, chosen uniformly. */
    @Test
    void eightCasesReadyThroughParkedPartnersAreChosenUniformly() throws Exception {
        List<Chan<Integer>> fromSender = new ArrayList<>();
        List<Chan<Integer>> toReceiver = new ArrayList<>();
        List<Thread> partners = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Chan<Integer> in = Chan.make();
            Chan<Integer> out = Chan.make();
            fromSender.add(in);
            toReceiver.add(out);
            partners.add(Thread.ofVirtual().start(() -> {
                try {
                    for (;;) {
                        in.send(1);
                    }
                } catch (ChannelClosedException | InterruptedException e) {
                    // over
                }
            }));
            partners.add(Thread.ofVirtual().start(() -> {
                try {
                    out.range(v -> {});
                } catch (InterruptedException e) {
                    // over
                }
            }));
        }
        int[] h = new int[8];
        try {
            for (int r = 0; r < 4000; r++) {
                SelectStatement st = Select.statement();
                for (int i = 0; i < 4; i++) {
                    int k = i;
                    SelectRulesTest.awaitSenders(fromSender.get(i), 1);
                    SelectRulesTest.awaitReceivers(toReceiver.get(i), 1);
                    st.receive(fromSender.get(i), v -> h[k]++).send(toReceiver.get(i), 1, () -> h[4 + k]++);
                }
                st.run();
            }
        } finally {
            partners.forEach(Thread::interrupt);
            for (Thread p : partners) {
                p.join();
            }
        }
        assertThat(chiSquare(h)).as(Arrays.toString(h)).isLessThan(critical(8));
    }

    // ---------------------------------------------------------------------------------------------------------
    // a select's send racing close: delivered or refused, never lost, never both

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 64})
    void selectSendsRacingCloseAreDeliveredOrRefusedNeverLost(int c) throws Exception {
        for (int round = 0; round < 400; round++) {
            Chan<Integer> ch = Chan.make(c);
            Chan<Integer> side = Chan.make(100);
            Set<Integer> delivered = ConcurrentHashMap.newKeySet();
            Set<Integer> sidelined = ConcurrentHashMap.newKeySet();
            Set<Integer> refused = ConcurrentHashMap.newKeySet();
            Set<Integer> received = ConcurrentHashMap.newKeySet();
            CountDownLatch started = new CountDownLatch(3);
            List<Thread> threads = new ArrayList<>();
            for (int s = 0; s < 3; s++) {
                int base = s * 1_000_000;
                threads.add(Thread.ofVirtual().start(() -> {
                    started.countDown();
                    for (int i = base; ; i++) {
                        int v = i;
                        try {
                            if ((v & 1) == 0) {
                                Select.statement().send(ch, v, () -> delivered.add(v)).send(side, v, () -> sidelined.add(v)).run();
                            } else {
                                Select.statement().send(ch, v, () -> delivered.add(v)).receive(Chan.<Integer>nil(), null).run();
                            }
                        } catch (ChannelClosedException e) {
                            refused.add(v);
                            return;
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                    }
                }));
            }
            int rform = round % 4;
            Thread receiver = Thread.ofVirtual().start(() -> {
                try {
                    switch (rform) {
                        case 0 -> ch.range(received::add);
                        case 1 -> {
                            for (Received<Integer> r; !(r = ch.receiveOk()).closed(); ) {
                                received.add(r.value());
                            }
                        }
                        case 2 -> {
                            boolean[] open = {true};
                            while (open[0]) {
                                Select.statement()
                                        .receiveOk(ch, r -> {
                                            if (r.closed()) {
                                                open[0] = false;
                                            } else {
                                                received.add(r.value());
                                            }
                                        })
                                        .receive(Chan.<Integer>nil(), null)
                                        .run();
                            }
                        }
                        default -> {
                            for (Received<Integer> r; !(r = ch.tryReceive()).closed(); ) {
                                if (r.ok()) {
                                    received.add(r.value());
                                } else {
                                    Thread.yield();
                                }
                            }
                        }
                    }
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            started.await();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (received.size() < round % 40 && System.nanoTime() < until) { // close mid-stream, at varying points
                Thread.yield();
            }
            ch.close();
            for (Thread t : threads) {
                t.join();
            }
            receiver.join();
            assertThat(refused).hasSize(3);
            assertThat(received).as("received exactly the values whose select sent them on ch").isEqualTo(delivered);
            assertThat(refused).allMatch(v -> !received.contains(v) && !sidelined.contains(v), "refused, so neither received nor sidelined");
            assertThat(sidelined).allMatch(v -> !delivered.contains(v), "sent on one case only");
            Set<Integer> onSide = new java.util.HashSet<>();
            side.close();
            side.range(onSide::add);
            assertThat(onSide).isEqualTo(sidelined);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // FIFO of parked senders and receivers whatever form each waits in (S3; Go: sendq and recvq are FIFO)

    @ParameterizedTest
    @ValueSource(ints = {0, 2, 64, 4097})
    void parkedSendersOfEveryFormAreServedInTheOrderTheyParked(int c) throws Exception {
        Chan<Integer> ch = Chan.make(c);
        Chan<Integer> nil = Chan.nil();
        for (int i = 0; i < c; i++) {
            ch.send(-1);
        }
        int forms = 6;
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 2 * forms; i++) {
            int v = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    switch (v % forms) {
                        case 0 -> ch.send(v);
                        case 1 -> assertThat(ch.send(v, java.time.Duration.ofMinutes(5))).isTrue();
                        case 2 -> ch.send(v, io.gochan.Context.background());
                        case 3 -> ch.sendOnly().send(v);
                        case 4 -> Select.statement().send(ch, v, null).receive(nil, null).run();
                        default -> Select.onSend(ch, v, () -> v).select();
                    }
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }));
            SelectRulesTest.awaitSenders(ch, i + 1);
        }
        List<Integer> got = new ArrayList<>();
        for (int i = 0; i < c + 2 * forms; i++) {
            int v = ch.receive();
            if (v >= 0) {
                got.add(v);
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(got).isEqualTo(java.util.stream.IntStream.range(0, 2 * forms).boxed().toList());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2, 64, 4097})
    void parkedReceiversOfEveryFormAreServedInTheOrderTheyParked(int c) throws Exception {
        Chan<Integer> ch = Chan.make(c);
        Chan<Integer> nil = Chan.nil();
        int forms = 10;
        int[] got = new int[forms];
        Arrays.fill(got, -1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < forms; i++) {
            int k = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    got[k] = switch (k) {
                        case 0 -> ch.receive();
                        case 1 -> ch.receiveOk().value();
                        case 2 -> ch.receive(java.time.Duration.ofMinutes(5)).value();
                        case 3 -> ch.receive(io.gochan.Context.background());
                        case 4 -> ch.receiveOnly().receive();
                        case 5 -> Select.<Integer>cases().receive(ch, v -> v).send(nil, 1, () -> -2).select();
                        case 6 -> Select.onReceiveOk(ch, r -> r.value()).select();
                        case 7 -> {
                            Iterator<Integer> it = ch.iterator();
                            yield it.hasNext() ? it.next() : -3;
                        }
                        case 8 -> ch.stream().findFirst().orElse(-4);
                        default -> {
                            int[] first = {-5};
                            try {
                                ch.range(v -> {
                                    first[0] = v;
                                    throw new StopRange();
                                });
                            } catch (StopRange e) {
                                // one value, as a range that breaks
                            }
                            yield first[0];
                        }
                    };
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }));
            SelectRulesTest.awaitReceivers(ch, i + 1);
        }
        for (int i = 0; i < forms; i++) {
            ch.send(100 + i);
        }
        for (Thread t : threads) {
            t.join();
        }
        int[] want = new int[forms];
        for (int i = 0; i < forms; i++) {
            want[i] = 100 + i;
        }
        assertThat(got).isEqualTo(want);
        assertThat(ch.len()).as("nothing taken beyond the one value each").isZero();
    }

    static final class StopRange extends RuntimeException {
        StopRange() {
            super(null, null, false, false);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // a select with two ready cases against one parked select (Go: either, uniformly); duplicate receive cases
    // against parked senders take the first parked sender's value whichever case fires

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void twoCasesAgainstOneParkedSelectAreChosenUniformly(boolean oneChannel) throws Exception {
        Chan<Integer> ch = Chan.make();
        Chan<Integer> ch2 = oneChannel ? ch : Chan.make();
        int[] h = new int[2];
        for (int r = 0; r < 3000; r++) {
            AtomicReference<String> parkedOutcome = new AtomicReference<>();
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    parkedOutcome.set(Select.<String>cases().send(ch, 1, () -> "sent").receive(ch2, v -> "got " + v).select());
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            SelectRulesTest.awaitSenders(ch, 1);
            SelectRulesTest.awaitReceivers(ch2, 1);
            String mine = Select.<String>cases().receive(ch, v -> "recv " + v).send(ch2, 5, () -> "sent").select();
            t.join();
            if (mine.equals("recv 1")) {
                assertThat(parkedOutcome.get()).isEqualTo("sent");
                h[0]++;
            } else {
                assertThat(mine).isEqualTo("sent");
                assertThat(parkedOutcome.get()).isEqualTo("got 5");
                h[1]++;
            }
            assertThat(waiting(ch) + waiting(ch2)).as("nothing left queued").isZero();
        }
        assertThat(chiSquare(h)).as(Arrays.toString(h)).isLessThan(critical(2));
    }

    private static int waiting(Chan<?> ch) {
        return io.gochan.spi.ChannelCores.of(ch).waitingSenders() + io.gochan.spi.ChannelCores.of(ch).waitingReceivers();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 64})
    void duplicateReceiveCasesTakeTheFirstParkedSendersValue(int c) throws Exception {
        Chan<Integer> ch = Chan.make(c);
        int[] h = new int[2];
        for (int r = 0; r < 1000; r++) {
            for (int i = 0; i < c; i++) {
                ch.send(-1 - i);
            }
            List<Thread> senders = new ArrayList<>();
            for (int s = 1; s <= 2; s++) {
                int v = s;
                senders.add(Thread.ofVirtual().start(() -> {
                    try {
                        ch.send(v);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }));
                SelectRulesTest.awaitSenders(ch, s);
            }
            int want = c == 0 ? 1 : -1;
            int got = Select.<Integer>cases().receive(ch, v -> { h[0]++; return v; }).receive(ch, v -> { h[1]++; return v; }).select();
            assertThat(got).isEqualTo(want);
            List<Integer> rest = new ArrayList<>();
            for (int i = 0; i < c + 1; i++) {
                rest.add(ch.receive());
            }
            for (Thread t : senders) {
                t.join();
            }
            List<Integer> expected = new ArrayList<>();
            for (int i = 1; i < c; i++) {
                expected.add(-1 - i);
            }
            expected.add(c == 0 ? 2 : 1);
            if (c > 0) {
                expected.add(2);
            }
            assertThat(rest).isEqualTo(expected);
        }
        assertThat(chiSquare(h)).as(Arrays.toString(h)).isLessThan(critical(2));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Go's memory model: a channel of capacity C is a counting semaphore (the k-th receive happens before the
    // (k+C)-th send completes), whatever form acquires and releases

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 63, 64, 65, 100})
    void aBufferedChannelIsACountingSemaphore(int c) throws Exception {
        Chan<Integer> sem = Chan.make(c);
        java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        int threads = Math.max(4, 2 * c + 3);
        int rounds = Math.max(200, 40_000 / threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread.Builder b = id % 3 == 0 ? Thread.ofPlatform() : Thread.ofVirtual();
            all.add(b.start(() -> {
                try {
                    go.await();
                    for (int r = 0; r < rounds; r++) {
                        switch ((id + r) % 4) {
                            case 0 -> sem.send(id);
                            case 1 -> {
                                while (!sem.trySend(id)) {
                                    Thread.onSpinWait();
                                    Thread.yield();
                                }
                            }
                            case 2 -> Select.statement().send(sem, id, null).run();
                            default -> sem.send(id, java.time.Duration.ofMinutes(5));
                        }
                        int now = inside.incrementAndGet();
                        most.accumulateAndGet(now, Math::max);
                        inside.decrementAndGet();
                        switch ((id + r) % 3) {
                            case 0 -> sem.receive();
                            case 1 -> Select.statement().receive(sem, null).run();
                            default -> {
                                Received<Integer> x;
                                while ((x = sem.tryReceive()).notReady()) {
                                    Thread.onSpinWait();
                                    Thread.yield();
                                }
                            }
                        }
                    }
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }));
        }
        go.countDown();
        for (Thread t : all) {
            t.join(TimeUnit.MINUTES.toMillis(2));
            assertThat(t.isAlive()).isFalse();
        }
        assertThat(most.get()).as("threads inside at once, capacity %d", c).isLessThanOrEqualTo(c);
        assertThat(sem.len()).isZero();
    }

    // ---------------------------------------------------------------------------------------------------------
    // a send case on a closed channel of any shape is ready and refused when chosen, beside a default or a ready
    // receive case on that same channel (Go: panics when chosen; the receive case gets the values left, then closed)

    @Test
    void closedSendCaseOfEveryShapeIsRefusedWhenChosen() throws Exception {
        List<Supplier<Chan<Integer>>> shapes = List.of(
                Chan::make, () -> Chan.make(1), () -> Chan.make(64), () -> Chan.make(4097),
                () -> Chan.make(2, OverflowPolicy.DROP_OLDEST), () -> Chan.make(64, OverflowPolicy.DROP_LATEST),
                Chan::conflated, Chan::unlimited);
        for (Supplier<Chan<Integer>> shape : shapes) {
            Chan<Integer> ch = shape.get();
            boolean buffered = ch.cap() > 0;
            if (buffered) {
                ch.send(7);
            }
            ch.close();
            String desc = ch.toString();
            assertThatThrownBy(() -> Select.statement().send(ch, 1, null).orElse(null).run())
                    .as(desc).isInstanceOf(ChannelClosedException.class).hasMessageStartingWith("send on closed channel");
            assertThatThrownBy(() -> Select.onSend(ch, 1, () -> 1).orElse(() -> 2).select())
                    .as(desc).isInstanceOf(ChannelClosedException.class).hasMessageStartingWith("send on closed channel");
            assertThat(ch.len()).as(desc).isEqualTo(buffered ? 1 : 0);
            int refused = 0;
            int values = 0;
            int closedSeen = 0;
            for (int i = 0; i < 400; i++) {
                try {
                    Received<Integer> r = Select.<Received<Integer>>cases().send(ch, 1, () -> null).receiveOk(ch, x -> x).select();
                    assertThat(r).as(desc).isNotNull();
                    if (r.ok()) {
                        values++;
                        assertThat(r.value()).isEqualTo(7);
                    } else {
                        closedSeen++;
                    }
                } catch (ChannelClosedException e) {
                    refused++;
                }
            }
            assertThat(values).as(desc).isEqualTo(buffered ? 1 : 0);
            assertThat(refused).as(desc).isBetween(100, 300);
            assertThat(closedSeen).as(desc).isBetween(100, 300);
        }
    }

    /** The evidence the choice probes stand on: Go's own counts ({@code go run main.go stat}) pass the same test. */
    @Test
    void goChoosesUniformlyToo() throws Exception {
        Path dir = goEvidence();
        String go = findGo();
        Assumptions.assumeTrue(go != null && dir != null, "go not on the PATH");
        Process p = new ProcessBuilder(go, "run", "main.go", "stat").directory(dir.toFile()).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(text).isZero();
        List<String> rows = lines(text);
        assertThat(rows).hasSize(6);
        for (String row : rows) {
            int[] counts = Arrays.stream(row.substring(row.indexOf('[') + 1, row.indexOf(']')).split(" "))
                    .mapToInt(Integer::parseInt).toArray();
            assertThat(chiSquare(counts)).as(row).isLessThan(critical(counts.length));
        }
    }
}

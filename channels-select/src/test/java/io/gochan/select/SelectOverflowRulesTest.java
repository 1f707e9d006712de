package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.Go;
import io.gochan.GoFuture;
import io.gochan.OverflowPolicy;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.select.SelectContextRulesTest.Kind;
import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Select with the channels of rules OV1–OV2 (a send case on a drop-policy channel is always ready while
 * open) and GF3 (a future's done channel as a case); both thread kinds.
 */
@NoGoroutineLeaks
class SelectOverflowRulesTest {
    static final Duration LONG = SelectContextRulesTest.LONG;

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV1_aSendCaseOnAFullConflatedChannelIsAlwaysReady(Kind kind) throws Exception {
        SelectContextRulesTest.on(kind, () -> {
            ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
            Chan<Integer> latest = Chan.conflated(dropped::add);
            Chan<Integer> never = Chan.make();
            latest.send(0); // full
            SplittableRandom random = new SplittableRandom(7);
            for (int i = 1; i <= 200; i++) {
                int v = i;
                String r = Select.<String>cases()
                        .random(random)
                        .receive(never, x -> "received")
                        .send(latest, v, () -> "sent")
                        .select();
                assertThat(r).isEqualTo("sent");
            }
            // Even next to a default case, the send case is the ready one.
            assertThat(Select.<String>cases().send(latest, 201, () -> "sent").orElse(() -> "default").select())
                    .isEqualTo("sent");
            assertThat(latest.receive()).isEqualTo(201);
            assertThat(dropped).hasSize(201).doesNotHaveDuplicates().doesNotContain(201);
            assertThat(ChannelCores.of(never).waitingReceivers()).isZero();
            latest.close();
            assertThatThrownBy(() -> Select.<String>cases().send(latest, 1, () -> "sent").select())
                    .isInstanceOf(ChannelClosedException.class);
        });
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV1_aSendCaseOnAFullDropLatestChannelCompletesByDropping(Kind kind) throws Exception {
        SelectContextRulesTest.on(kind, () -> {
            ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
            Chan<Integer> ch = Chan.make(2, OverflowPolicy.DROP_LATEST, dropped::add);
            ch.send(1);
            ch.send(2);
            assertThat(Select.statement().send(ch, 3, () -> { }).orElse(() -> {
                throw new AssertionError("the default case ran");
            }).run()).isZero();
            assertThat(dropped).containsExactly(3);
            assertThat(ch.receive()).isEqualTo(1);
        });
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void GF3_aSelectWaitsForAFutureWithAReceiveOkCase(Kind kind) throws Exception {
        SelectContextRulesTest.on(kind, () -> {
            Chan<String> release = Chan.make();
            Chan<Integer> other = Chan.make();
            GoFuture<String> f = Go.future(() -> release.receive());
            Go.go(() -> release.send("go"));
            String r = Select.<String>cases()
                    .receive(other, v -> "other")
                    .receiveOk(f.done(), got -> got.closed() ? "future done" : "impossible: sent on")
                    .select();
            assertThat(r).isEqualTo("future done");
            assertThat(f.join()).isEqualTo("go");
            assertThatThrownBy(() -> Select.<String>cases().receive(f.done(), v -> "x"))
                    .as("L10: a plain receive case on a done channel").isInstanceOf(IllegalArgumentException.class);
        });
    }
    /**
     * L13: a select that drops a value on its send case after locking all its channels (its lock-free pick
     * was stale) calls the drop callback with none of its channels locked. Before, the callback ran while
     * the channels locked before the dropping one still were: a callback that waited stalled every thread
     * touching them, uninterruptibly. The stale pick is made deterministic: a sender interrupted while the
     * test holds the lock of {@code p} leaves a dead node queued there, which makes {@code p} look ready.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void L13_aDropCallbackOfASelectRunsWithNoChannelLocked(Kind kind) throws Exception {
        Chan<Integer> p = Chan.make(); // made first: locked before d, unlocked after it
        CountDownLatch inCallback = new CountDownLatch(1);
        CountDownLatch checked = new CountDownLatch(1);
        ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
        Chan<Integer> d = Chan.make(1, OverflowPolicy.DROP_LATEST, v -> {
            dropped.add(v);
            inCallback.countDown();
            try {
                checked.await(); // the test looks at p's lock meanwhile
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        d.send(0); // full: a send case on it drops
        Thread.Builder builder = kind == Kind.VIRTUAL ? Thread.ofVirtual() : Thread.ofPlatform().daemon();
        Thread sender = builder.start(() -> {
            try {
                p.send(1);
            } catch (InterruptedException expected) {
                // its node is dead, and unlinked once it gets p's lock
            }
        });
        SelectRulesTest.awaitTrue(() -> ChannelCores.of(p).waitingSenders() == 1, "sender queued");
        ChannelCores.of(p).lock();
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread selector;
        try {
            sender.interrupt();
            SelectRulesTest.awaitTrue(() -> waitsForALock(sender), "cancelled sender waiting for p's lock");
            selector = builder.start(() -> {
                try {
                    outcome.set(Select.<String>cases()
                            .random(() -> 0L) // the lock-free pick takes the first case that looks ready: p
                            .receive(p, v -> "received")
                            .send(d, 2, () -> "sent")
                            .select());
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            SelectRulesTest.awaitTrue(() -> waitsForALock(selector), "select waiting for p's lock");
        } finally {
            ChannelCores.of(p).unlock();
        }
        boolean pFree;
        try {
            assertThat(inCallback.await(LONG.toSeconds(), TimeUnit.SECONDS)).as("the value was dropped").isTrue();
            assertThat(sender.join(Duration.ofSeconds(5))).as("the interrupted sender got p's lock and ended").isTrue();
            pFree = ChannelCores.of(p).tryLock();
            if (pFree) {
                ChannelCores.of(p).unlock();
            }
        } finally {
            checked.countDown();
        }
        assertThat(selector.join(LONG)).isTrue();
        assertThat(pFree).as("p unlocked while the drop callback runs").isTrue();
        assertThat(outcome.get()).isEqualTo("sent");
        assertThat(dropped).containsExactly(2);
        assertThat(ChannelCores.of(p).waitingSenders() + ChannelCores.of(p).waitingReceivers()).isZero();
    }

    /** True while {@code t} is parked acquiring a channel's lock (its park blocker is the lock). */
    private static boolean waitsForALock(Thread t) {
        Object blocker = LockSupport.getBlocker(t);
        return blocker != null && blocker.getClass().getSimpleName().equals("ChannelLock");
    }
}

package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** Rules LK1 and LK2: which owner a goroutine belongs to, and what closing an owner does. */
class GoroutineOwnerTest {

    @Test
    void LK1_ownerGoAttributesTheGoroutineAndEverythingItStarts() throws Exception {
        try (GoroutineOwner owner = Goroutines.owner("pool")) {
            Chan<Goroutine> child = Chan.make(1);
            Goroutine parent = owner.go("parent", () -> child.send(Go.go("child", () -> { })));
            Goroutine c = child.receive();
            assertThat(parent.owner()).containsSame(owner);
            assertThat(c.owner()).containsSame(owner);
            assertThat(parent.join(Duration.ofSeconds(20))).isTrue();
            assertThat(c.join(Duration.ofSeconds(20))).isTrue();
        }
    }

    @Test
    void LK1_enteredOwnerAttributesGoroutinesOfThisThreadAndOfThreadsItCreates() throws Exception {
        GoroutineOwner owner = Goroutines.owner("entered");
        GoroutineOwner other = Goroutines.owner("other");
        Goroutine direct;
        Goroutine fromRawThread;
        Goroutine fromExecutor;
        try (GoroutineOwner.Scope s = owner.enter()) {
            direct = Go.go(() -> { });
            CompletableFuture<Goroutine> viaThread = new CompletableFuture<>();
            Thread raw = Thread.ofVirtual().start(() -> viaThread.complete(Go.go(() -> { })));
            fromRawThread = viaThread.get();
            raw.join();
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                fromExecutor = ex.submit(() -> Go.go(() -> { })).get();
            }
            try (GoroutineOwner.Scope inner = other.enter()) {
                assertThat(Go.go(() -> { }).owner()).containsSame(other);
            }
            assertThat(Go.go(() -> { }).owner()).as("the previous owner is restored").containsSame(owner);
        }
        assertThat(direct.owner()).containsSame(owner);
        assertThat(fromRawThread.owner()).containsSame(owner);
        assertThat(fromExecutor.owner()).containsSame(owner);
        assertThat(Go.go(() -> { }).owner()).as("outside the scope").isEmpty();
        for (Goroutine g : owner.live()) {
            assertThat(g.join(Duration.ofSeconds(20))).isTrue();
        }
    }

    /**
     * LK1: an afterFunc's goroutine (a timer's, a context's) belongs to the owner current where afterFunc was
     * called, not to what the thread that fires it carries: the timer thread inherited the owner of whichever
     * thread first armed a timer in the JVM, and a context's cancel runs on its canceller's thread. Before,
     * both took the firing thread's owner (none here, or the other owner).
     */
    @Test
    void LK1_anAfterFuncsGoroutineBelongsToTheOwnerItWasRegisteredIn() throws Exception {
        Timers.after(Duration.ZERO).receive(); // the timer thread runs, started outside the owners below
        GoroutineOwner registeredIn = Goroutines.owner("registered-in");
        GoroutineOwner cancelledIn = Goroutines.owner("cancelled-in");
        Chan<Goroutine> ran = Chan.make(2);
        CancellableContext ctx = Context.withCancel(Context.background());
        try (GoroutineOwner.Scope s = registeredIn.enter()) {
            Timers.afterFunc(Duration.ZERO, () -> ran.send(Goroutines.live().stream()
                    .filter(g -> g.thread() == Thread.currentThread()).findFirst().orElseThrow()));
            Context.afterFunc(ctx, () -> {
                try {
                    ran.send(Goroutines.live().stream().filter(g -> g.thread() == Thread.currentThread()).findFirst().orElseThrow());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        try (GoroutineOwner.Scope s = cancelledIn.enter()) {
            ctx.cancel();
        }
        for (int i = 0; i < 2; i++) {
            Goroutine g = ran.receive();
            assertThat(g.owner()).as("the owner of %s", g.name()).containsSame(registeredIn);
            assertThat(g.join(Duration.ofSeconds(20))).isTrue();
        }
        registeredIn.close();
        cancelledIn.close();
    }

    @Test
    void LK1_aScopeIsClosedOnTheThreadThatEnteredIt() throws Exception {
        GoroutineOwner owner = Goroutines.owner("wrong-thread");
        GoroutineOwner.Scope s = owner.enter();
        try {
            CompletableFuture<Throwable> failure = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    s.close();
                    failure.complete(null);
                } catch (Throwable t) {
                    failure.complete(t);
                }
            }).join();
            assertThat(failure.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("entered");
        } finally {
            s.close();
        }
        assertThat(Go.go(() -> { }).owner()).isEmpty();
    }

    @Test
    void LK2_closeRecordsWhereItWasCreatedAndClosedAndNeitherInterruptsNorWaits() throws Exception {
        GoroutineOwner test = Goroutines.owner("test");
        GoroutineOwner pool;
        Chan<Integer> release = Chan.make();
        Goroutine worker;
        try (GoroutineOwner.Scope s = test.enter()) {
            pool = Goroutines.owner("pool");
            worker = pool.go("worker", release::receive);
            pool.close();
            pool.close(); // idempotent
        }
        assertThat(pool.isOpen()).isFalse();
        assertThat(pool.createdIn()).containsSame(test);
        assertThat(pool.closedIn()).containsSame(test);
        assertThat(worker.isAlive()).as("close does not end or interrupt its goroutines").isTrue();
        assertThat(Goroutines.dump()).contains("owned by \"pool\" (closed)");
        release.send(1);
        assertThat(worker.join(Duration.ofSeconds(20))).isTrue();
        assertThat(Goroutines.owner("x").toString()).contains("x");
        assertThatThrownBy(() -> Goroutines.owner(null)).isInstanceOf(NullPointerException.class);
    }
}

package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Rules LK1 and LK2: which owner a goroutine belongs to, and what closing an owner does. */
@ExtendWith(NoNewGoroutines.class)
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

    /**
     * LK17: a goroutine says whether its owner came only from its starting thread's creation (a thread made inside
     * {@code enter()}, a pool's worker): not for {@code owner.go}, an entered owner, or a goroutine of either; yes for
     * what such a thread starts, what those goroutines start, and afterFuncs registered on such a thread; and not
     * again once that thread enters an owner itself.
     */
    @Test
    void LK17_aGoroutineSaysWhetherItsOwnerWasOnlyInheritedByItsThread() throws Exception {
        GoroutineOwner owner = Goroutines.owner("inherited");
        Chan<Goroutine> started = Chan.make(8);
        ExecutorService pool;
        Goroutine entered;
        Goroutine ofEntered;
        try (GoroutineOwner.Scope s = owner.enter()) {
            entered = Go.go(() -> started.send(Go.go(() -> { })));
            ofEntered = started.receive();
            pool = Executors.newSingleThreadExecutor();
            pool.submit(() -> { }).get(); // the worker is made here, inside enter()
        }
        try {
            Goroutine viaOwnerGo = owner.go(() -> { });
            Goroutine fromWorker = pool.submit(() -> Go.go(() -> started.send(Go.go(() -> { })))).get();
            Goroutine ofInherited = started.receive();
            pool.submit(() -> {
                Timers.afterFunc(Duration.ZERO, () -> started.send(self()));
                CancellableContext ctx = Context.withCancel(Context.background());
                Context.afterFunc(ctx, () -> {
                    try {
                        started.send(self());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                ctx.cancel();
            }).get();
            Goroutine timerFunc = started.receive();
            Goroutine contextFunc = started.receive();
            Goroutine enteredOnWorker = pool.submit(() -> {
                try (GoroutineOwner.Scope s = owner.enter()) {
                    return Go.go(() -> { });
                }
            }).get();
            Goroutine afterScope = pool.submit(() -> Go.go(() -> { })).get();

            for (Goroutine g : List.of(entered, ofEntered, viaOwnerGo, enteredOnWorker)) {
                assertThat(g.owner()).as("the owner of %s", g).containsSame(owner);
                assertThat(g.ownerInherited()).as("%s: its owner was set, not inherited", g).isFalse();
            }
            for (Goroutine g : List.of(fromWorker, ofInherited, timerFunc, contextFunc, afterScope)) {
                assertThat(g.owner()).as("the owner of %s", g).containsSame(owner);
                assertThat(g.ownerInherited()).as("%s: its owner came from the worker's creation", g).isTrue();
            }
            assertThat(fromWorker.ownerInheritedRoot()).as("started by the worker itself").isEqualTo(fromWorker.id());
            assertThat(ofInherited.ownerInheritedRoot()).as("judged by its parent's start").isEqualTo(fromWorker.id());
            assertThat(entered.ownerInheritedRoot()).isZero();
            assertThat(Go.go(() -> { }).ownerInherited()).as("no owner").isFalse();
        } finally {
            pool.shutdown();
            assertThat(pool.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
            owner.close();
        }
        for (Goroutine g : Goroutines.live()) {
            if (g.owner().filter(o -> o == owner).isPresent()) {
                assertThat(g.join(Duration.ofSeconds(20))).isTrue();
            }
        }
    }

    private static Goroutine self() {
        return Goroutines.live().stream().filter(g -> g.thread() == Thread.currentThread()).findFirst().orElseThrow();
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

    /**
     * LK49: scopes closed out of order never leave the thread attributed to an owner whose scope is closed. While an inner
     * scope is open its owner stays current; its close restores what was current before the outermost closed scope.
     * (Session 44's API audit: closing a, then b, left the thread inside a.)
     */
    @Test
    void LK49_scopesClosedOutOfOrderLeaveNoClosedOwnerCurrent() throws Exception {
        GoroutineOwner a = Goroutines.owner("lk49-a");
        GoroutineOwner b = Goroutines.owner("lk49-b");
        GoroutineOwner c = Goroutines.owner("lk49-c");
        GoroutineOwner.Scope sa = a.enter();
        GoroutineOwner.Scope sb = b.enter();
        sa.close(); // out of order: b is still open
        assertThat(ownerOfNextGoroutine()).as("the inner scope's owner, still open").contains(b);
        GoroutineOwner.Scope sc = c.enter();
        sc.close();
        assertThat(ownerOfNextGoroutine()).as("back in b after c, whose scope nested in it").contains(b);
        sb.close();
        assertThat(ownerOfNextGoroutine()).as("past a, closed already: no owner").isEmpty();
        sa.close(); // idempotent
        assertThat(ownerOfNextGoroutine()).isEmpty();
        GoroutineOwner.Scope again = a.enter(); // in order still restores as before
        GoroutineOwner.Scope inner = b.enter();
        inner.close();
        assertThat(ownerOfNextGoroutine()).contains(a);
        again.close();
        assertThat(ownerOfNextGoroutine()).isEmpty();
    }

    private static java.util.Optional<GoroutineOwner> ownerOfNextGoroutine() throws InterruptedException {
        Goroutine g = Go.go(() -> { });
        g.join();
        return g.owner();
    }
}

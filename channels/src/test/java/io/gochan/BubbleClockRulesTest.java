package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rule BB38: {@link Timers#clock()} is Go's {@code time.Now} as a {@code java.time.Clock}: code that takes a clock reads
 * a bubble's virtual time inside it, real time outside, whichever thread made the clock.
 */
@ExtendWith(NoNewGoroutines.class)
class BubbleClockRulesTest {
    /** Made outside any bubble, once, as production code makes its default clock. */
    private static final Clock SHARED = Timers.clock();
    private static final Instant EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    /** Code under test that takes a clock, as Java code does: an expiry measured on it. */
    private record Lease(Clock clock, Instant until) {
        static Lease of(Clock clock, Duration ttl) {
            return new Lease(clock, clock.instant().plus(ttl));
        }

        boolean expired() {
            return !clock.instant().isBefore(until);
        }
    }

    @Test
    void BB38_codeGivenTheClockReadsTheBubblesTimeAsItsTimersSeeIt() throws Exception {
        AtomicReference<Instant> seenByMember = new AtomicReference<>();
        Bubble.run(() -> {
            assertThat(SHARED.instant()).as("a clock made outside, read by the root").isEqualTo(EPOCH);
            assertThat(LocalDateTime.now(SHARED)).isEqualTo(LocalDateTime.of(2000, 1, 1, 0, 0));
            Lease lease = Lease.of(SHARED, Duration.ofMinutes(30));
            Timers.sleep(Duration.ofMinutes(29));
            assertThat(lease.expired()).isFalse();
            Timers.sleep(Duration.ofMinutes(1));
            assertThat(lease.expired()).as("expired on the bubble's clock, 30 virtual minutes on").isTrue();
            assertThat(SHARED.millis()).isEqualTo(EPOCH.plus(Duration.ofMinutes(30)).toEpochMilli());
            Go.go("reader", () -> {
                Timers.sleep(Duration.ofSeconds(1));
                seenByMember.set(Timers.clock().instant());
            }).join();
        });
        assertThat(seenByMember.get()).as("a member reads the bubble's clock too").isEqualTo(EPOCH.plus(Duration.ofSeconds(1801)));
    }

    @Test
    void BB38_outsideABubbleAndOnThreadsThatAreNoMembersItIsTheSystemsClock() throws Exception {
        Instant before = Instant.now();
        Instant read = SHARED.instant();
        assertThat(read).isBetween(before, Instant.now());
        AtomicReference<Instant> plain = new AtomicReference<>();
        AtomicReference<Instant> plainBounds = new AtomicReference<>();
        Bubble.run(() -> {
            Timers.sleep(Duration.ofHours(1));
            Thread t = Thread.ofPlatform().start(() -> { // not started with Go.go: no member (BB1)
                plainBounds.set(Instant.now());
                plain.set(SHARED.instant());
            });
            t.join();
        });
        assertThat(plain.get()).as("a plain thread started in the bubble reads real time").isAfterOrEqualTo(plainBounds.get())
                .isAfter(EPOCH.plus(Duration.ofDays(365)));
        Instant after = Instant.now();
        assertThat(SHARED.instant()).as("after the bubble, the caller reads real time again").isAfterOrEqualTo(after);
    }

    @Test
    void BB38_aZonedCopyStillReadsTheCallersClock() throws Exception {
        ZoneId paris = ZoneId.of("Europe/Paris");
        Clock zoned = SHARED.withZone(paris);
        assertThat(zoned.getZone()).isEqualTo(paris);
        assertThat(SHARED.getZone()).isEqualTo(ZoneOffset.UTC);
        assertThat(zoned).isEqualTo(Timers.clock().withZone(paris)).isNotEqualTo(SHARED);
        assertThat(SHARED.withZone(ZoneOffset.UTC)).isSameAs(SHARED).isEqualTo(Timers.clock());
        assertThat(zoned.hashCode()).isEqualTo(Timers.clock().withZone(paris).hashCode());
        Bubble.run(() -> {
            Timers.sleep(Duration.ofHours(2));
            assertThat(LocalDateTime.now(zoned)).isEqualTo(LocalDateTime.of(2000, 1, 1, 3, 0)); // UTC+1 in January
        });
    }
}

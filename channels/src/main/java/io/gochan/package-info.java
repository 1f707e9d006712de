/**
 * Go's concurrency habits on virtual threads: channels ({@link Chan}, with its send-only and receive-only views),
 * goroutines ({@link Go}, each one virtual thread, owned by whoever started it), contexts for cancellation and
 * deadlines ({@link Context}), timers and tickers ({@link Timers}), {@link WaitGroup} and {@link ErrGroup}, and
 * bubbles that run a test on a virtual clock ({@link Bubble}). Every blocking operation is interruptible and never
 * pins a carrier thread. Selecting over several channels is in the module {@code io.gochan.select}.
 */
package io.gochan;

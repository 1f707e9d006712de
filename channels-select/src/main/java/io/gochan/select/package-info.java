/**
 * Go's {@code select} over gochan's channels: {@link io.gochan.select.Select} (handlers return a value),
 * {@link io.gochan.select.Selection} (handlers may also throw a checked exception of their own) and
 * {@link io.gochan.select.SelectStatement} (handlers return nothing; {@code run()} returns the case's index).
 * The rules are L1–L22 of docs/spec/select.md; {@code Select}'s class javadoc states the semantics all three share.
 *
 * <p>Memory effects (Go's memory model; rule S4 of docs/spec/channels.md). A case that fires is the channel
 * operation it names, with that operation's happens-before edges and no others: a send case happens before the
 * receive that takes its value completes (on an unbuffered channel that receive also happens before the send case
 * completes); a receive case that takes a value happens after the send of that value; a receive or
 * {@code receiveOk} case that fires because its channel is closed happens after the close. A done case fires
 * because the context's done channel was closed when the context ended, so what a thread did before it cancelled
 * the context happens before the handler, which sees {@code ctx.err()} and {@code ctx.cause()} non-null (rule
 * CX1); a case on a future's {@code done()} channel happens after everything the future's callable did (GF3). The
 * chosen case's handler runs on the selecting thread after its case happened, so it sees all of that. A timeout
 * case and a default case establish no happens-before edge with any other thread, and neither does a case that
 * was not chosen.
 */
package io.gochan.select;

/**
 * Go's {@code select} statement over gochan's channels: {@link Select} waits for the first of several sends,
 * receives or a context's end to be ready, and runs that case's handler; a default case or a timeout makes it
 * non-blocking or bounded.
 */
package io.gochan.select;

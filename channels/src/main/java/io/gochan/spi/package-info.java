/**
 * gochan's own machinery, not an API: the channel core and its waiters that {@code select} is built on, the gate to
 * the flight-recorder events, and the text helpers gochan's modules share. No release promises anything of these
 * types, and code outside gochan must not use them. The package is exported to every module only so that gochan's
 * own modules link whichever of the module path and the class path a build puts each on (rule M1).
 */
package io.gochan.spi;

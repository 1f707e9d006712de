/** Go's {@code select} over gochan channels. */
module io.gochan.select {
    requires transitive io.gochan;
}

/** Go's {@code select} over gochan channels: {@link io.gochan.select.Select}. */
module io.gochan.select {
    requires transitive io.gochan;
    exports io.gochan.select;
}

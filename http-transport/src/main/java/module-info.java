/** An HTTP/1.1 client whose transport is Go's persistConn design on gochan channels. */
module io.gochan.http {
    requires transitive io.gochan.select;
    exports io.gochan.http;
    exports io.gochan.http.jfr;
}

module gochan/cookieoracle

go 1.19

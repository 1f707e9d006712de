module gochan/oracle

go 1.19

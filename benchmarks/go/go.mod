module gochan.io/benchmarks/go

go 1.19

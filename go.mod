module github.com/rose-ash/sxhost

go 1.26

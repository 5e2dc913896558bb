module github.com/starter/gorepo

go 1.19

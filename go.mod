module github.com/gozenoh/zenoh

go 1.26

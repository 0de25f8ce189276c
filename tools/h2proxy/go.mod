module modelrollout.io/tools/h2proxy

go 1.21

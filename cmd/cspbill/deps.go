package main

import (
	_ "github.com/gocarina/gocsv"
	_ "github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"
	_ "github.com/pressly/goose/v3"
	_ "github.com/robfig/cron/v3"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/shopspring/decimal"
	_ "github.com/xuri/excelize/v2"
	_ "golang.org/x/term"
	_ "modernc.org/sqlite"
)

func main() {}

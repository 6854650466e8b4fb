package main

import (
	_ "unsafe" // for go:linkname

	_ "modernc.org/sqlite/lib"
)

// SQLite lets one writer at a time into a database. FerretDB opens up to 100 connections per
// database, so concurrent writes meet SQLITE_BUSY, and the busy_timeout handler that FerretDB
// sets sleeps between tries: 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms. A write takes
// well under a millisecond here, so a writer that lost a few tries slept far longer than the
// write it waited for, while the database sat idle. With many writers (several processors), that
// back-off, not CPU, set the pace.
//
// Every try here waits 1 ms, the shortest step SQLite's schedule has: same busy_timeout total
// (10 s), no back-off. The pinned modernc.org/sqlite (go.sum) holds these tables; a version
// without them fails to link, never silently.
//
//go:linkname sqliteBusyDelays modernc.org/sqlite/lib._delays
var sqliteBusyDelays [12]uint8

//go:linkname sqliteBusyTotals modernc.org/sqlite/lib._totals
var sqliteBusyTotals [12]uint8

func init() {
	for i := range sqliteBusyDelays {
		sqliteBusyDelays[i] = 1
		sqliteBusyTotals[i] = uint8(i) // ms slept before try i
	}
}

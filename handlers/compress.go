package handlers

// gzipLevel is the level of every answer gzipped on the fly (routes.go: the
// pages, fragments and forms of the site, the therapist's area, the feeds),
// chosen by measurement: BenchmarkGzipLevel (compress_bench_test.go), on
// 2026-12-07 on the 2-core AMD EPYC machine shared with other engineers'
// builds, tests and browsers. Its quietest session (load average 2 to 3.5),
// median time per answer of 10 interleaved runs, and compressed bytes:
//
//	level  article, 50 comments   blog list fragment   therapist's dashboard
//	       (58,801 B of HTML)     (1,361 B)            (5,162 B)
//	1       152 µs   9,040 B      17.7 µs   591 B      38.7 µs   1,780 B
//	2       219 µs   9,024 B      22.3 µs   586 B      61.9 µs   1,748 B
//	3       306 µs   8,578 B      21.3 µs   564 B      60.2 µs   1,718 B
//	4       275 µs   8,521 B      19.9 µs   550 B      74.6 µs   1,703 B
//	5       449 µs   8,139 B      21.8 µs   550 B      80.9 µs   1,676 B
//	6       515 µs   7,971 B      32.8 µs   552 B      83.7 µs   1,672 B
//	7       680 µs   7,858 B      49.6 µs   547 B     142.4 µs   1,666 B
//	8       795 µs   7,850 B      51.7 µs   546 B     140.7 µs   1,658 B
//	9     1,622 µs   7,845 B      70.8 µs   546 B     194.7 µs   1,657 B
//
// Times moved by up to 2× between the six sessions (load average 2 to 14);
// sizes move only with what the test database holds (in make bench's
// session the dashboard was 21,587 B of HTML). What held in all six: 7 to
// 9 cost 1.15 to 3.2 times level 6 for at most 1.6% fewer bytes; on the
// article 6 cost 2% to 75% more than 5 for 2.1% to 2.5% fewer bytes; on
// the small answers 5 and 6 gave the same bytes, except the 21.6 KB
// dashboard (3.8% fewer at 6, which was 12% faster on it); 1 took 24% to
// 48% of level 6's time on the article, for 6% to 13% more bytes.
//
// 5, because bytes cost a visitor more than they cost the server: going
// from 5 down to 1 saves 0.08 to 0.3 ms of the server's time on the
// article and adds about 900 bytes (7,200 bits), which take longer than
// that to arrive on any connection slower than 25 to 90 Mbit/s, as most
// phones' are. From 5 down to 4 it is 382 bytes for at most 0.17 ms. And
// 6 over 5 is about a wash: 2% to 4% fewer bytes, for more time on the
// article in every session and less on the large dashboard. The server's
// time does count once it is saturated: in a load run (.ci/load, 32
// connections, four runs of 4 s a level) the article with gzip answered
// 1,270 requests/s at level 1 and 1,070 at level 6. But anonymous pages are
// to be served pre-compressed by the page cache; what is left here is
// personal renders, fragments, the therapist's pages and the feeds.
const gzipLevel = 5

package zenoh

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/hlc"
)

// storageGet queries selector from s until the replies equal want (the
// storage's queryable reaches s's node asynchronously).
func storageGet(t *testing.T, s *Session, selector string, want []string) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	var got []string
	for time.Now().Before(deadline) {
		got = nil
		for _, r := range getAll(t, s, selector, WithTimeout(2*time.Second)) {
			if r.Err == nil {
				got = append(got, r.Sample.KeyExpr+"="+string(r.Sample.Payload))
			}
		}
		slices.Sort(got)
		if slices.Equal(got, want) {
			return
		}
		<-time.After(20 * time.Millisecond) // no event for "the storage has it"
	}
	t.Fatalf("Get %s = %v, want %v", selector, got, want)
}

// TestStorageThroughTheAPI: a router with a badger storage keeps the
// latest value of each key, forgets deleted ones, and still has them
// after a restart.
func TestStorageThroughTheAPI(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Mode = ModeRouter
	cfg.MulticastScouting = false
	cfg.Listen = []string{"tcp/127.0.0.1:0"}
	cfg.DataDir = dir
	cfg.Storages = map[string]StorageConfig{"demo": {KeyExpr: "st/**", Volume: "badger"}}
	r, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ccfg := DefaultConfig()
	ccfg.Mode = ModeClient
	ccfg.MulticastScouting = false
	ccfg.Connect = []string{locatorOf(t, r)}
	c := openTest(t, ccfg)
	for _, kv := range [][2]string{{"st/a", "1"}, {"st/b", "2"}, {"st/a", "3"}, {"other/x", "no"}} {
		if err := c.Put(kv[0], []byte(kv[1])); err != nil {
			t.Fatal(err)
		}
	}
	storageGet(t, c, "st/**", []string{"st/a=3", "st/b=2"})
	if err := c.Delete("st/a"); err != nil {
		t.Fatal(err)
	}
	storageGet(t, c, "st/**", []string{"st/b=2"})
	c.Close()
	r.Close()

	cfg.Listen = []string{"tcp/127.0.0.1:0"}
	r2 := openTest(t, cfg)
	storageGet(t, r2, "st/**", []string{"st/b=2"})
	storageGet(t, r2, "st/b?_time=[..now()]", []string{"st/b=2"})
	storageGet(t, r2, "st/b?_time=[now(1h)..]", nil)
}

// storageWithClient opens a router with one storage, name on keyExpr in
// volume (badger under a temporary directory, or memory), and a client
// connected to it.
func storageWithClient(t testing.TB, name, keyExpr, volume string) (r, c *Session) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Mode = ModeRouter
	cfg.Listen = []string{"tcp/127.0.0.1:0"}
	cfg.DataDir = t.TempDir()
	cfg.Storages = map[string]StorageConfig{name: {KeyExpr: keyExpr, Volume: volume}}
	r = openTest(t, cfg)
	ccfg := DefaultConfig()
	ccfg.Mode = ModeClient
	ccfg.Connect = []string{locatorOf(t, r)}
	return r, openTest(t, ccfg)
}

// storageRouter opens a router with the given storages (memory volumes).
func storageRouter(t *testing.T, storages map[string]StorageConfig) *Session {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Mode = ModeRouter
	cfg.MulticastScouting = false
	cfg.Listen = []string{"tcp/127.0.0.1:0"}
	cfg.DataDir = t.TempDir()
	cfg.Storages = storages
	return openTest(t, cfg)
}

// TestStorageLastWriterWins: samples stamped out of order keep the
// newest; a delete stops an older put from bringing the key back.
func TestStorageLastWriterWins(t *testing.T) {
	r := storageRouter(t, map[string]StorageConfig{"s": {KeyExpr: "lww/**"}})
	id, err := hlc.ParseID("1234")
	if err != nil {
		t.Fatal(err)
	}
	base := hlc.NTP64FromTime(time.Now().Add(-time.Minute)) // in the past: a clock refuses the future
	ts := func(d int) hlc.Timestamp { return hlc.Timestamp{Time: base + hlc.NTP64(d)<<32, ID: id} }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.Put("lww/a", []byte("new"), WithTimestamp(ts(2))))
	must(r.Put("lww/a", []byte("old"), WithTimestamp(ts(1))))
	must(r.Delete("lww/b", WithTimestamp(ts(5))))
	must(r.Put("lww/b", []byte("resurrected"), WithTimestamp(ts(4))))
	must(r.Put("lww/c", []byte("c1"), WithTimestamp(ts(1))))
	must(r.Delete("lww/c", WithTimestamp(ts(2))))
	must(r.Put("lww/c", []byte("c3"), WithTimestamp(ts(3))))
	storageGet(t, r, "lww/**", []string{"lww/a=new", "lww/c=c3"})
}

// TestStorageOverlapAndManyKeys: two storages on overlapping key
// expressions both answer for the keys they share; a wildcard query
// returns all of 10,000 keys.
func TestStorageOverlapAndManyKeys(t *testing.T) {
	r := storageRouter(t, map[string]StorageConfig{"all": {KeyExpr: "ov/**"}, "part": {KeyExpr: "ov/a/**"}})
	if err := r.Put("ov/a/x", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := r.Put("ov/b/y", []byte("2")); err != nil {
		t.Fatal(err)
	}
	storageGet(t, r, "ov/**", []string{"ov/a/x=1", "ov/b/y=2"})
	var fromA []string
	for _, rep := range getAll(t, r, "ov/a/x", WithTarget(QueryTargetAll), WithConsolidation(ConsolidationNone)) {
		if rep.Err == nil {
			fromA = append(fromA, string(rep.Sample.Payload))
		}
	}
	if len(fromA) != 2 {
		t.Fatalf("ov/a/x answered %v times, want once per storage", fromA)
	}

	const n = 10000
	for i := range n {
		if err := r.Put(fmt.Sprintf("ov/many/%d/%d", i%100, i), []byte("v"), WithCongestionControl(CongestionControlBlock)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(testWait)
	for {
		got := 0
		for _, rep := range getAll(t, r, "ov/many/**", WithConsolidation(ConsolidationNone), WithTimeout(5*time.Second)) {
			if rep.Err == nil {
				got++
			}
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ov/many/** returned %d of %d keys", got, n)
		}
		<-time.After(50 * time.Millisecond) // writes still on their way
	}
}

// TestStorageDeleteThenPutFromClient: unstamped samples of a client are
// stamped by its router in arrival order, deletes included, so a put
// right after a delete is the one kept.
func TestStorageDeleteThenPutFromClient(t *testing.T) {
	r := storageRouter(t, map[string]StorageConfig{"s": {KeyExpr: "dp/**"}})
	ccfg := DefaultConfig()
	ccfg.Mode = ModeClient
	ccfg.MulticastScouting = false
	ccfg.Connect = []string{locatorOf(t, r)}
	c := openTest(t, ccfg)
	for i := range 20 {
		v := fmt.Sprint(i)
		if err := c.Put("dp/k", []byte("before "+v)); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete("dp/k"); err != nil {
			t.Fatal(err)
		}
		if err := c.Put("dp/k", []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	storageGet(t, r, "dp/**", []string{"dp/k=19"})
}

package zenoh

import (
	"context"
	"slices"
	"testing"
	"time"
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

package harness

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	ok := []Config{
		{},
		{Count: 5, MemLimit: 128 << 20},
		{MemLimit: 64 << 20, HardLimit: 64 << 20},
		{MemLimit: 0, HardLimit: 1 << 20},
		{Interval: -1, Timeout: time.Second, WarmupTimeout: time.Second},
		{Shard: Shard{I: 1, N: 2}},
	}
	for _, c := range ok {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	bad := []struct {
		cfg   Config
		field string
	}{
		{Config{Count: -1}, "Count"},
		{Config{MemLimit: -1}, "MemLimit"},
		{Config{HardLimit: -1}, "HardLimit"},
		{Config{MemLimit: 64 << 20, HardLimit: 32 << 20}, "HardLimit"},
		{Config{Timeout: -time.Second}, "Timeout"},
		{Config{WarmupTimeout: -time.Second}, "WarmupTimeout"},
		{Config{Shard: Shard{I: 2, N: 2}}, "Shard"},
	}
	for _, b := range bad {
		err := b.cfg.Validate()
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != b.field {
			t.Errorf("%+v: got %v, want a *ConfigError for %s", b.cfg, err, b.field)
			continue
		}
		if !errors.Is(err, ErrInvalidConfig) || !strings.HasPrefix(err.Error(), "harness: ") {
			t.Errorf("%+v: %q does not wrap ErrInvalidConfig with the harness: prefix", b.cfg, err)
		}
	}
}

// Run refuses a cap that cannot fire before it starts anything.
func TestRunValidates(t *testing.T) {
	cfg := Config{Cells: []Cell{{Bench: "X", Argv: []string{"true"}}}, MemLimit: 64 << 20, HardLimit: 32 << 20}
	res, err := Run(context.Background(), cfg)
	if res != nil || !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Run = %v, %v; want nil and ErrInvalidConfig", res, err)
	}
}

// Package storage turns the `storage:` block of a config into an open store.Store, so the
// collector extension and the standalone query server choose engines the same way.
package storage

import (
	"errors"
	"fmt"
	"os"

	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/badgerstore"
)

// Engines.
const (
	EngineBadger = "badger"
)

// Config selects and configures an engine.
type Config struct {
	// Engine is "badger" (embedded, the default).
	Engine string       `mapstructure:"engine"`
	Badger BadgerConfig `mapstructure:"badger"`
}

// BadgerConfig configures the embedded engine.
type BadgerConfig struct {
	// Dir holds the database (created when missing). Only one process may open it.
	Dir string `mapstructure:"dir"`
}

// Default is Badger in ./data.
func Default() Config {
	return Config{Engine: EngineBadger, Badger: BadgerConfig{Dir: "./data"}}
}

// Validate implements confmap's validator.
func (c *Config) Validate() error {
	switch c.Engine {
	case EngineBadger:
		if c.Badger.Dir == "" {
			return errors.New("storage.badger.dir must be set")
		}
		return nil
	case "":
		return errors.New("storage.engine must be set (badger)")
	}
	return fmt.Errorf("storage.engine %q is not known (badger)", c.Engine)
}

// Open opens the configured engine.
func Open(c Config, log *zap.Logger) (store.Store, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	switch c.Engine {
	case EngineBadger:
		if err := os.MkdirAll(c.Badger.Dir, 0o750); err != nil {
			return nil, fmt.Errorf("storage: create %s: %w", c.Badger.Dir, err)
		}
		return badgerstore.Open(badgerstore.Options{Dir: c.Badger.Dir, Logger: log})
	}
	return nil, fmt.Errorf("storage.engine %q is not known", c.Engine)
}

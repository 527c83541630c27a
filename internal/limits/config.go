package limits

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/confmap"
)

// Config is the `limits:` block: a value per limit for every tenant, and per-tenant overrides
// that replace only the keys they set.
// Its fields are not decoded by mapstructure: Unmarshal reads the block by the keys of Defs.
type Config struct {
	Defaults  Values              `mapstructure:"-"`
	Overrides map[string]Override `mapstructure:"-"`
}

// Override is one tenant's partial set of limits.
type Override struct {
	set    [NumIDs]bool
	values Values
}

// Set returns o with id set to x.
func (o Override) Set(id ID, x float64) Override {
	o.set[id], o.values[id] = true, x
	return o
}

// Get returns the override of id, if set.
func (o Override) Get(id ID) (float64, bool) { return o.values[id], o.set[id] }

// DefaultConfig is every limit at its declared default, no overrides.
func DefaultConfig() Config { return Config{Defaults: Defaults()} }

// For returns the effective limits of a tenant.
func (c *Config) For(tenant string) Values {
	v := c.Defaults
	if o, ok := c.Overrides[tenant]; ok {
		for id := range NumIDs {
			if o.set[id] {
				v[id] = o.values[id]
			}
		}
	}
	return v
}

// overridesKey is the key of the per-tenant map inside the block.
const overridesKey = "overrides"

var _ confmap.Unmarshaler = (*Config)(nil)

// Unmarshal implements confmap.Unmarshaler: the keys of Defs, plus `overrides`. Keys that are
// not set keep their current value (the defaults, for a config made by DefaultConfig). Unknown
// keys are refused, with the known ones listed, so a typo cannot silently leave a limit at its
// default.
func (c *Config) Unmarshal(conf *confmap.Conf) error {
	if conf == nil {
		return nil
	}
	m := conf.ToStringMap()
	if c.Defaults == (Values{}) && c.Overrides == nil {
		c.Defaults = Defaults()
	}
	var errs []error
	for k, raw := range m {
		if k == overridesKey {
			continue
		}
		id, x, err := parseEntry(k, raw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.Defaults[id] = x
	}
	if raw, ok := m[overridesKey]; ok && raw != nil {
		tenants, ok := raw.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf("overrides must map tenant ids to limits, got %T", raw))
		}
		for tenant, traw := range tenants {
			o, err := parseOverride(traw)
			if err != nil {
				errs = append(errs, fmt.Errorf("overrides.%s: %w", tenant, err))
				continue
			}
			if c.Overrides == nil {
				c.Overrides = map[string]Override{}
			}
			c.Overrides[tenant] = o
		}
	}
	return errors.Join(errs...)
}

func parseOverride(raw any) (Override, error) {
	var o Override
	if raw == nil {
		return o, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return o, fmt.Errorf("must be a map of limits, got %T", raw)
	}
	var errs []error
	for k, v := range m {
		id, x, err := parseEntry(k, v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		o = o.Set(id, x)
	}
	return o, errors.Join(errs...)
}

func parseEntry(key string, raw any) (ID, float64, error) {
	id, ok := ByKey(key)
	if !ok {
		return 0, 0, fmt.Errorf("unknown limit %q (known: %s, overrides)", key, strings.Join(Keys(), ", "))
	}
	x, err := number(raw)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", key, err)
	}
	if err := check(id, x); err != nil {
		return 0, 0, err
	}
	return id, x, nil
}

// number accepts what YAML and environment variables produce.
func number(raw any) (float64, error) {
	switch v := raw.(type) {
	case int:
		return float64(v), nil
	case int64:
		return float64(v), nil
	case uint64:
		return float64(v), nil
	case float64:
		return v, nil
	case string:
		x, err := strconv.ParseFloat(strings.TrimSpace(strings.ReplaceAll(v, "_", "")), 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", v)
		}
		return x, nil
	case nil:
		return 0, errors.New("no value")
	}
	return 0, fmt.Errorf("%v (%T) is not a number", raw, raw)
}

// Keys are the config keys of every limit, in declaration order.
func Keys() []string {
	out := make([]string, 0, NumIDs)
	for id := range NumIDs {
		out = append(out, Defs[id].Key)
	}
	return out
}

// Validate reports values that Unmarshal would refuse, for configs built in code.
func (c *Config) Validate() error {
	var errs []error
	for id := range NumIDs {
		if err := check(id, c.Defaults[id]); err != nil {
			errs = append(errs, err)
		}
	}
	tenants := make([]string, 0, len(c.Overrides))
	for t := range c.Overrides {
		tenants = append(tenants, t)
	}
	slices.Sort(tenants)
	for _, t := range tenants {
		if t == "" {
			errs = append(errs, errors.New("overrides: the tenant id must not be empty"))
		}
		o := c.Overrides[t]
		for id := range NumIDs {
			if x, ok := o.Get(id); ok {
				if err := check(id, x); err != nil {
					errs = append(errs, fmt.Errorf("overrides.%s: %w", t, err))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// RateBurst is the bucket size of a rate limit: twice the rate (api.md), at least 1.
func RateBurst(rate float64) int {
	b := 2 * rate
	if b < 1 {
		return 1
	}
	if b > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(math.Ceil(b))
}

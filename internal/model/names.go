package model

import (
	"fmt"
	"unicode/utf8"
)

// Limits of api.md for names and values.
const (
	MaxMetricNameLen = 256
	MaxLabelNameLen  = 128
	MaxLabelValueLen = 1024
	MaxLabels        = 32
)

// ValidName reports whether s matches ^[a-zA-Z_][a-zA-Z0-9_.]*$ (dots allowed, so OTel names
// round-trip). A hand-written loop: this runs for every point and every label key, and the
// regexp package costs ~10x more here.
func ValidName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case (c >= '0' && c <= '9') || c == '.':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// CheckMetricName returns a user-facing error for an invalid metric name, or nil.
func CheckMetricName(s string) error {
	if len(s) == 0 || len(s) > MaxMetricNameLen {
		return fmt.Errorf("metric name must be 1-%d bytes, got %d", MaxMetricNameLen, len(s))
	}
	if !ValidName(s) {
		return fmt.Errorf("metric name %q must match ^[a-zA-Z_][a-zA-Z0-9_.]*$", s)
	}
	return nil
}

// CheckLabelName returns a user-facing error for an invalid dimension key, or nil.
func CheckLabelName(s string) error {
	if len(s) == 0 || len(s) > MaxLabelNameLen {
		return fmt.Errorf("dimension key must be 1-%d bytes, got %d", MaxLabelNameLen, len(s))
	}
	if !ValidName(s) {
		return fmt.Errorf("dimension key %q must match ^[a-zA-Z_][a-zA-Z0-9_.]*$", s)
	}
	return nil
}

// CheckLabelValue returns a user-facing error for an invalid dimension value, or nil.
func CheckLabelValue(key, s string) error {
	if len(s) == 0 || len(s) > MaxLabelValueLen {
		return fmt.Errorf("value of dimension %q must be 1-%d bytes, got %d", key, MaxLabelValueLen, len(s))
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("value of dimension %q is not valid UTF-8", key)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("value of dimension %q contains control character %U", key, r)
		}
	}
	return nil
}

package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// readEnvFile returns the value of key in a dotenv file: KEY=value lines, optional "export ",
// '#' comment lines, values optionally in "double" (Go escapes) or 'single' (literal) quotes.
// An unquoted value ends at " #" (an inline comment), as in Docker Compose, so a '#' inside a
// secret is kept. The last assignment wins, as when a shell sources the file. Errors name the
// line, never its value: the file holds secrets.
func readEnvFile(path, key string) (value string, found bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) != key {
			continue
		}
		value, err = parseEnvValue(strings.TrimSpace(v))
		if err != nil {
			return "", false, fmt.Errorf("%s line %d: %s: %w", path, n, key, err)
		}
		found = true
	}
	if err := sc.Err(); err != nil {
		return "", false, fmt.Errorf("reading %s: %w", path, err)
	}
	return value, found, nil
}

func parseEnvValue(v string) (string, error) {
	if v == "" || (v[0] != '"' && v[0] != '\'') {
		if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		return v, nil
	}
	q := v[0]
	end := -1
	for i := 1; i < len(v); i++ {
		if q == '"' && v[i] == '\\' {
			i++ // skip the escaped character
			continue
		}
		if v[i] == q {
			end = i
			break
		}
	}
	if end < 0 {
		return "", fmt.Errorf("the %c quote is not closed", q)
	}
	if rest := strings.TrimSpace(v[end+1:]); rest != "" && rest[0] != '#' {
		return "", fmt.Errorf("unexpected text after the closing %c quote", q)
	}
	if q == '\'' {
		return v[1:end], nil
	}
	s, err := strconv.Unquote(v[:end+1])
	if err != nil {
		return "", fmt.Errorf("invalid escape in the double-quoted value")
	}
	return s, nil
}

// Package sql embeds cspbill's schema migrations so the binary can apply
// them itself (package ledger runs them with pressly/goose on Open).
//
// The migrations are numbered files in two folders, postgres/ and sqlite/,
// one per dialect, numbered alike: the two databases need different SQL for
// the same schema (STRICT tables and RAISE() triggers on SQLite; BIGSERIAL,
// COLLATE "C" and PL/pgSQL statement triggers with transition tables on
// PostgreSQL), and goose has no per-dialect sections inside one file.
// A change to the schema is a new pair of files with the same number.
package sql

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS

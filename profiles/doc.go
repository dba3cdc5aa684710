// Package profiles reads fsviews profiles (TOML, with includes) into a
// validated Profile.
//
// Contract: Load reports every problem it finds in one pass, each with the
// file, line and key it concerns and a fix the user can apply; it never
// mounts, creates or changes anything. The only host access is through the
// Host interface (file existence, user and group lookups), so validation is
// testable against a fake host and the rules themselves stay pure.
//
// A Profile holds absolute, cleaned view paths and parsed sizes, modes and
// capabilities: the views package compiles it into a Plan without
// re-checking any of it.
package profiles

// This file is empty on purpose: its presence lets spawn_linux.go declare
// the runtime's fork hooks without bodies (they are linknamed).

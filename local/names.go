package local

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/selkie-containers/selkie/engine"
)

// nameRE is Podman's rule for container and pod names.
var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// normalizeName strips one leading "/" (Docker's form, accepted by Podman)
// and checks the name against Podman's pattern.
func normalizeName(name string) (string, error) {
	n := strings.TrimPrefix(name, "/")
	if !nameRE.MatchString(n) {
		return "", fmt.Errorf("names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: %w", engine.ErrInvalidArg)
	}
	return n, nil
}

// newID returns a random 64-hex ID that is not all digits (such an ID could
// be read as a number by tools, as Podman and Docker avoid too).
func newID() (string, error) {
	for {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("generating an ID: %w", err)
		}
		id := hex.EncodeToString(b[:])
		if strings.Trim(id[:12], "0123456789") != "" {
			return id, nil
		}
	}
}

func randIndex(n int) int {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int(binary.LittleEndian.Uint64(b[:]) % uint64(n))
}

// randomName returns an adjective_noun name such as "brave_otter".
func randomName() string {
	return adjectives[randIndex(len(adjectives))] + "_" + nouns[randIndex(len(nouns))]
}

var adjectives = [...]string{
	"able", "agile", "amber", "ample", "ancient", "arctic", "ardent", "azure",
	"bold", "brave", "breezy", "bright", "brisk", "busy", "calm", "candid",
	"careful", "cheerful", "clever", "coastal", "cosmic", "crisp", "curious", "daring",
	"dapper", "deft", "eager", "earnest", "elated", "elegant", "epic", "fair",
	"fearless", "festive", "fluent", "focused", "frosty", "gallant", "gentle", "gifted",
	"glad", "golden", "graceful", "happy", "hardy", "hearty", "honest", "humble",
	"icy", "jolly", "jovial", "keen", "kind", "lively", "loyal", "lucid",
	"lucky", "merry", "mighty", "misty", "modest", "nimble", "noble", "patient",
	"peaceful", "placid", "plucky", "polite", "proud", "quick", "quiet", "radiant",
	"rapid", "serene", "sharp", "shiny", "silent", "sleek", "smart", "snowy",
	"steady", "stoic", "sturdy", "sunny", "swift", "tidy", "tranquil", "trusty",
	"upbeat", "valiant", "vibrant", "vivid", "warm", "wise", "witty", "zealous",
}

var nouns = [...]string{
	"albatross", "auk", "beluga", "bittern", "cod", "coral", "cormorant", "crab",
	"curlew", "dolphin", "dugong", "dunlin", "eider", "fulmar", "gannet", "grebe",
	"guillemot", "gull", "haddock", "halibut", "heron", "herring", "kelp", "kittiwake",
	"krill", "lobster", "mackerel", "manatee", "marlin", "merganser", "minke", "mussel",
	"narwhal", "octopus", "orca", "osprey", "otter", "oyster", "pelican", "penguin",
	"periwinkle", "petrel", "plaice", "plover", "porpoise", "puffin", "razorbill", "sanderling",
	"sandpiper", "scallop", "scoter", "seahorse", "seal", "selkie", "shag", "shark",
	"shearwater", "shrimp", "skua", "sprat", "squid", "starfish", "stingray", "sturgeon",
	"tern", "trout", "tuna", "turbot", "turnstone", "urchin", "walrus", "whale",
	"whelk", "wrasse",
}

// textError prints exactly Podman's message while still matching a sentinel
// with errors.Is (for exit codes and the REST error table).
type textError struct {
	msg  string
	kind error
}

func (e *textError) Error() string { return e.msg }
func (e *textError) Unwrap() error { return e.kind }

package qbosim

// stats counts what a realm was asked. ByOperation is keyed like
// "create Invoice", "read Customer", "query Invoice", "batch", "cdc".
type stats struct {
	Requests       int            `json:"requests"`
	ByOperation    map[string]int `json:"by_operation"`
	Reads          int            `json:"reads"`
	Writes         int            `json:"writes"`
	Queries        int            `json:"queries"`
	Batches        int            `json:"batches"`
	CDC            int            `json:"cdc"`
	Throttled      int            `json:"throttled"`
	FaultsInjected int            `json:"faults_injected"`
	Replays        int            `json:"replays"`
	AuthFailures   int            `json:"auth_failures"`
}

// count records one operation, from a request or a batch item.
func (g *gate) count(op, entity string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := op
	if entity != "" {
		key += " " + entity
	}
	g.stats.ByOperation[key]++
	switch op {
	case "read":
		g.stats.Reads++
	case "create", "update", "delete", "void":
		g.stats.Writes++
	case "query":
		g.stats.Queries++
	case "batch":
		g.stats.Batches++
	case "cdc":
		g.stats.CDC++
	}
}

func (g *gate) note(f func(s *stats)) {
	g.mu.Lock()
	f(&g.stats)
	g.mu.Unlock()
}

func (g *gate) snapshot() stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.stats
	s.ByOperation = make(map[string]int, len(g.stats.ByOperation))
	for k, v := range g.stats.ByOperation {
		s.ByOperation[k] = v
	}
	return s
}

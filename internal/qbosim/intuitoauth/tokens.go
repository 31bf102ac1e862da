package intuitoauth

import (
	"errors"
	"strings"
	"time"
)

// Sentinels returned by Authenticate.
var (
	// ErrExpired reports an access token that was valid but has expired.
	ErrExpired = errors.New("access token expired")
	// ErrInvalid reports a token that was never issued or has been revoked.
	ErrInvalid = errors.New("access token invalid")
)

// authCode is an authorization code waiting to be exchanged.
type authCode struct {
	realm       string
	redirectURI string
	expires     time.Time
}

// grant is one connection between the client and a company: the chain of
// refresh tokens that started with a single consent.
type grant struct {
	realm          string
	refresh        string
	refreshIssued  time.Time // when the current refresh value was first issued
	refreshExpires time.Time
	hardExpires    time.Time
	revoked        bool
}

type accessToken struct {
	grant   *grant
	expires time.Time
}

// issued is what the token endpoint reports after a successful grant.
type issued struct {
	Tokens
	refreshExpiresIn int64
	hardExpiresIn    int64
}

// Issue connects the client to realmID without a consent round trip, as the
// control surface does when it creates a company.
func (s *Server) Issue(realmID string) Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newGrantLocked(realmID).Tokens
}

// Authenticate returns the company a bearer access token belongs to. A
// leading "Bearer " is tolerated so an Authorization header can be passed
// through unchanged.
func (s *Server) Authenticate(bearer string) (realmID string, err error) {
	token := bearer
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.access[token]
	if !ok || at.grant.revoked {
		return "", ErrInvalid
	}
	if !s.cfg.Now().Before(at.expires) {
		return "", ErrExpired
	}
	return at.grant.realm, nil
}

// ExpireRealm makes every access token of realmID expire now, as an hour
// passing would; refresh tokens stay usable.
func (s *Server) ExpireRealm(realmID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	for _, at := range s.access {
		if at.grant.realm == realmID && at.expires.After(now) {
			at.expires = now
		}
	}
}

// Refreshes counts the successful refresh-token grants for realmID.
func (s *Server) Refreshes(realmID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes[realmID]
}

func (s *Server) newCode(realm, redirectURI string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := newSecret()
	s.codes[code] = &authCode{realm: realm, redirectURI: redirectURI, expires: s.cfg.Now().Add(codeTTL)}
	return code
}

// exchangeCode redeems an authorization code. The code is consumed on the
// first attempt whatever its outcome, so it can never be replayed.
func (s *Server) exchangeCode(code, redirectURI string) (issued, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[code]
	if !ok {
		return issued{}, errors.New("invalid authorization code")
	}
	delete(s.codes, code)
	if !s.cfg.Now().Before(c.expires) {
		return issued{}, errors.New("authorization code expired")
	}
	if c.redirectURI != redirectURI {
		return issued{}, errors.New("redirect_uri does not match the authorization request")
	}
	return s.newGrantLocked(c.realm), nil
}

// refresh answers a refresh-token grant as Intuit does: for a day after a
// refresh value is issued the same value comes back (its rolling expiry
// renewed); after that a new value is issued and the presented one stops
// working at once.
func (s *Server) refresh(token string) (issued, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[token]
	if !ok || g.revoked {
		return issued{}, errors.New("incorrect or invalid refresh token")
	}
	now := s.cfg.Now()
	if !now.Before(g.refreshExpires) || !now.Before(g.hardExpires) {
		delete(s.grants, token)
		return issued{}, errors.New("refresh token expired")
	}
	if !now.Before(g.refreshIssued.Add(rotateAfter)) {
		delete(s.grants, token)
		g.refresh, g.refreshIssued = newSecret(), now
		s.grants[g.refresh] = g
	}
	g.refreshExpires = now.Add(refreshTTL)
	s.refreshes[g.realm]++
	return s.issueAccessLocked(g), nil
}

// revokeToken ends the grant a refresh or access token belongs to, taking
// every access token issued under it along. Unknown tokens are ignored.
func (s *Server) revokeToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.grants[token]
	if g == nil {
		if at := s.access[token]; at != nil {
			g = at.grant
		}
	}
	if g == nil {
		return
	}
	g.revoked = true
	delete(s.grants, g.refresh)
	for k, at := range s.access {
		if at.grant == g {
			delete(s.access, k)
		}
	}
}

func (s *Server) newGrantLocked(realm string) issued {
	now := s.cfg.Now()
	g := &grant{
		realm:          realm,
		refresh:        newSecret(),
		refreshIssued:  now,
		refreshExpires: now.Add(refreshTTL),
		hardExpires:    now.Add(refreshHardTTL),
	}
	s.grants[g.refresh] = g
	return s.issueAccessLocked(g)
}

func (s *Server) issueAccessLocked(g *grant) issued {
	now := s.cfg.Now()
	s.sweepLocked(now)
	token := newSecret()
	s.access[token] = &accessToken{grant: g, expires: now.Add(accessTTL)}
	return issued{
		Tokens: Tokens{
			AccessToken:  token,
			RefreshToken: g.refresh,
			ExpiresIn:    int64(accessTTL / time.Second),
		},
		refreshExpiresIn: seconds(earlier(g.refreshExpires, g.hardExpires).Sub(now)),
		hardExpiresIn:    seconds(g.hardExpires.Sub(now)),
	}
}

// sweepLocked forgets access tokens that expired a day ago once the table
// has doubled, so a long-running simulator does not grow without bound while
// recently expired tokens still answer ErrExpired rather than ErrInvalid.
func (s *Server) sweepLocked(now time.Time) {
	if len(s.access) < s.sweepAt {
		return
	}
	cutoff := now.Add(-24 * time.Hour)
	for k, at := range s.access {
		if at.expires.Before(cutoff) {
			delete(s.access, k)
		}
	}
	for k, c := range s.codes {
		if c.expires.Before(now) {
			delete(s.codes, k)
		}
	}
	s.sweepAt = max(1024, 2*len(s.access))
}

func seconds(d time.Duration) int64 {
	return int64(d / time.Second)
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

package history

import "math"

// welch is Welch's two-sided t-test from the counts, means and sample
// variances of two samples. A side of one value has no variance of its
// own: it borrows the other side's, and the degrees of freedom are the
// other side's. With no variance at all the means either agree (p = 1)
// or differ beyond doubt (p = 0).
func welch(n1 int, m1, v1 float64, n2 int, m2, v2 float64) float64 {
	if n1 == 0 || n2 == 0 || n1+n2 < 3 {
		return 1
	}
	if n1 < 2 {
		v1 = v2
	}
	if n2 < 2 {
		v2 = v1
	}
	a, b := v1/float64(n1), v2/float64(n2)
	se2 := a + b
	if se2 <= 0 || math.IsNaN(se2) {
		if m1 == m2 {
			return 1
		}
		return 0
	}
	t := (m2 - m1) / math.Sqrt(se2)
	var df float64
	switch {
	case n1 < 2:
		df = float64(n2 - 1)
	case n2 < 2:
		df = float64(n1 - 1)
	default:
		df = se2 * se2 / (a*a/float64(n1-1) + b*b/float64(n2-1))
	}
	return studentTwoSided(t, df)
}

// studentTwoSided is P(|T| ≥ |t|) for Student's t with df degrees of
// freedom: the regularized incomplete beta I_x(df/2, 1/2), x = df/(df+t²).
func studentTwoSided(t, df float64) float64 {
	if math.IsInf(t, 0) {
		return 0
	}
	return betaInc(df/(df+t*t), df/2, 0.5)
}

// betaInc is the regularized incomplete beta function I_x(a, b), from its
// continued fraction (modified Lentz), using the symmetry
// I_x(a,b) = 1 − I_{1−x}(b,a) where the fraction converges slowly.
func betaInc(x, a, b float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	la, _ := math.Lgamma(a + b)
	lb, _ := math.Lgamma(a)
	lc, _ := math.Lgamma(b)
	front := math.Exp(la - lb - lc + a*math.Log(x) + b*math.Log1p(-x))
	if x < (a+1)/(a+b+2) {
		return front * betaFraction(x, a, b) / a
	}
	return 1 - front*betaFraction(1-x, b, a)/b
}

func betaFraction(x, a, b float64) float64 {
	const tiny, eps = 1e-300, 1e-15
	nonzero := func(v float64) float64 {
		if math.Abs(v) < tiny {
			return tiny
		}
		return v
	}
	c, d := 1.0, 1/nonzero(1-(a+b)*x/(a+1))
	f := d
	// step folds in one term num of the fraction and returns its factor.
	step := func(num float64) float64 {
		d = 1 / nonzero(1+num*d)
		c = nonzero(1 + num/c)
		return d * c
	}
	for m := 1; m <= 300; m++ {
		fm := float64(m)
		f *= step(fm * (b - fm) * x / ((a + 2*fm - 1) * (a + 2*fm)))
		delta := step(-(a + fm) * (a + b + fm) * x / ((a + 2*fm) * (a + 2*fm + 1)))
		f *= delta
		if math.Abs(delta-1) < eps {
			break
		}
	}
	return f
}

// fisher is Fisher's exact two-sided test of k1 of n1 against k2 of n2:
// the probability, with the margins fixed, of a table at most as likely as
// the one observed.
func fisher(k1, n1, k2, n2 int) float64 {
	k, n := k1+k2, n1+n2
	if n1 == 0 || n2 == 0 || k == 0 || k == n {
		return 1
	}
	lchoose := func(n, r int) float64 {
		a, _ := math.Lgamma(float64(n + 1))
		b, _ := math.Lgamma(float64(r + 1))
		c, _ := math.Lgamma(float64(n - r + 1))
		return a - b - c
	}
	total := lchoose(n, k)
	logp := func(x int) float64 { return lchoose(n1, x) + lchoose(n2, k-x) - total }
	observed := logp(k1)
	p := 0.0
	for x := max(0, k-n2); x <= min(k, n1); x++ {
		if lp := logp(x); lp <= observed+1e-7 {
			p += math.Exp(lp)
		}
	}
	return min(p, 1)
}

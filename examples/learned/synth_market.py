#!/usr/bin/env python3
"""Write a synthetic market as ot-feed's events (NDJSON), with or without a
planted edge, for training and testing learned strategies.

The book of paper/SYNTH has 5 levels a side around a mid on a 0.01 tick
(spread one tick) and changes every 100 ms. Two hidden processes drive it:
the imbalance I of bid size against ask size, a slow random process in
[-0.95, 0.95], and a flow regime F of +1 or -1 that flips every 10 s on
average and shows in the trades (buys 85 % of them while F = +1, sells
while F = -1). Each 100 ms the mid moves a tick with probability 0.3, up
with probability 0.5 + edge * I * F: the imbalance predicts the move in the
direction of the trade flow and against it otherwise. Neither the
imbalance nor the flow alone says anything, so a straight line through the
features cannot find the edge; a model of their product can. With --edge 0
nothing predicts the move. Some trades take the whole level. Same
arguments, same bytes.

usage: synth_market.py [--edge E] [--minutes M] [--seed S] > market.ndjson
"""
import argparse
import json
import random
import sys


def generate(out, edge, minutes, seed, start_ns=1_700_000_000_000_000_000):
    rnd = random.Random(seed)
    tick, mid = 0.01, 10000  # the mid in ticks: price 100.00
    imb, flow = 0.0, 1
    trade_id = 1
    step = 100_000_000
    for k in range(int(minutes * 600)):
        t = start_ns + k * step
        imb = max(-0.95, min(0.95, 0.98 * imb + rnd.gauss(0, 0.12)))
        if rnd.random() < 0.01:
            flow = -flow
        if rnd.random() < 0.3:
            mid += 1 if rnd.random() < 0.5 + edge * imb * flow else -1
        base = 2.0 + rnd.random()
        bid_q, ask_q = base * (1 + imb), base * (1 - imb)
        bids = [['%.2f' % ((mid - i) * tick), '%.3f' % (bid_q * (1 + 0.2 * i))] for i in range(5)]
        asks = [['%.2f' % ((mid + 1 + i) * tick), '%.3f' % (ask_q * (1 + 0.2 * i))] for i in range(5)]
        ev = {'type': 'book', 'venue': 'paper', 'symbol': 'SYNTH', 'ts': t, 'recv': t,
              'snapshot': True, 'bids': bids, 'asks': asks}
        out.write(json.dumps(ev, separators=(',', ':')) + '\n')
        if rnd.random() < 0.3:
            buy = rnd.random() < 0.5 + 0.35 * flow
            level = asks[0] if buy else bids[0]
            tr = {'type': 'trade', 'venue': 'paper', 'symbol': 'SYNTH', 'ts': t + 1, 'recv': t + 1,
                  'price': level[0], 'qty': '%.3f' % (float(level[1]) * (0.2 + rnd.random())),
                  'side': 'buy' if buy else 'sell', 'id': str(trade_id)}
            trade_id += 1
            out.write(json.dumps(tr, separators=(',', ':')) + '\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--edge', type=float, default=0.3)
    ap.add_argument('--minutes', type=float, default=60)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    generate(sys.stdout, a.edge, a.minutes, a.seed)


if __name__ == '__main__':
    main()

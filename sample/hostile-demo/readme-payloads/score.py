"""Print a sentiment score between -1 and 1 for each line read from standard input."""
import sys

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


def main() -> None:
    analyzer = SentimentIntensityAnalyzer()
    for line in sys.stdin:
        text = line.strip()
        if text:
            print(f"{analyzer.polarity_scores(text)['compound']:+.2f}\t{text}")


if __name__ == "__main__":
    main()

<?php
/**
 * What a delivery attempt's outcome means for its queue row, and when to try again.
 * Plain PHP with no Magento dependency.
 */

declare(strict_types=1);

namespace Stockbridge\Notifications\Model;

class RetryPolicy
{
    public const DELIVERED = 'delivered';
    public const FAILED = 'failed';
    public const RETRY = 'retry';

    /** Longest wait between two attempts, in minutes. */
    public const MAX_DELAY_MINUTES = 60;

    /**
     * The outcome of an HTTP status; 0 stands for no answer (connection error, timeout).
     * Any 2xx is delivered (202 accepted, 200 already seen); 4xx other than 408 and 429
     * will not heal by retrying; everything else is retried.
     */
    public function outcome(int $httpStatus): string
    {
        if ($httpStatus >= 200 && $httpStatus < 300) {
            return self::DELIVERED;
        }
        if ($httpStatus >= 400 && $httpStatus < 500 && $httpStatus !== 408 && $httpStatus !== 429) {
            return self::FAILED;
        }

        return self::RETRY;
    }

    /**
     * Minutes to wait after the given attempt (1 for the first) before the next:
     * 1, 2, 4, 8, ... capped at MAX_DELAY_MINUTES.
     */
    public function delayMinutes(int $attempt): int
    {
        $attempt = max(1, $attempt);
        if ($attempt > 7) {
            return self::MAX_DELAY_MINUTES;
        }

        return min(self::MAX_DELAY_MINUTES, 2 ** ($attempt - 1));
    }
}

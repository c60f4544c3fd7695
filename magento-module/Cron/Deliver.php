<?php

declare(strict_types=1);

namespace Stockbridge\Notifications\Cron;

use Psr\Log\LoggerInterface;
use Stockbridge\Notifications\Model\Config;
use Stockbridge\Notifications\Model\Queue;
use Stockbridge\Notifications\Model\RetryPolicy;
use Stockbridge\Notifications\Model\Sender;
use Stockbridge\Notifications\Model\Signer;

/**
 * Every minute: delivers up to BATCH_SIZE due notifications, oldest first.
 */
class Deliver
{
    public const BATCH_SIZE = 100;

    /** Stop taking new rows after this many seconds, well before the next run starts. */
    private const TIME_BUDGET_SECONDS = 50;

    /** Answers after which the rest of this run's rows for the same URL wait for the next run. */
    private const UNREACHABLE_STATUSES = [0, 429, 502, 503, 504];

    private const KEEP_DELIVERED_SECONDS = 7 * 86400;
    private const KEEP_FAILED_SECONDS = 30 * 86400;

    public function __construct(
        private Queue $queue,
        private Config $config,
        private Sender $sender,
        private Signer $signer,
        private RetryPolicy $retryPolicy,
        private LoggerInterface $logger
    ) {
    }

    public function execute(): void
    {
        try {
            $started = time();
            $unreachable = [];
            foreach ($this->queue->fetchDue($started, self::BATCH_SIZE) as $row) {
                if (time() - $started >= self::TIME_BUDGET_SECONDS) {
                    break;
                }
                try {
                    $this->deliver($row, $unreachable);
                } catch (\Throwable $e) {
                    $this->logger->error(
                        'Stockbridge: delivering notification ' . ($row['event_id'] ?? '?') . ' failed: '
                        . $e->getMessage(),
                        ['exception' => $e]
                    );
                }
            }

            $this->queue->purge(
                $started - self::KEEP_DELIVERED_SECONDS,
                $started - self::KEEP_FAILED_SECONDS
            );
        } catch (\Throwable $e) {
            $this->logger->error('Stockbridge: notification delivery run failed: ' . $e->getMessage(), [
                'exception' => $e,
            ]);
        }
    }

    /**
     * @param array<string, mixed> $row
     * @param array<string, true> $unreachable URLs not to try again in this run
     */
    private function deliver(array $row, array &$unreachable): void
    {
        $id = (int) $row['id'];
        $storeId = (int) $row['store_id'];
        $url = $this->config->getUrl($storeId);
        $secret = $this->config->getSecret($storeId);

        if (!$this->config->isEnabled($storeId) || $url === '' || $secret === '') {
            $this->queue->markFailed(
                $id,
                "Stockbridge notifications are disabled, or their URL or secret is empty, for store $storeId"
            );
            return;
        }
        if (isset($unreachable[$url])) {
            return;
        }

        $attempt = (int) $row['attempts'] + 1;
        $retryAt = time() + 60 * $this->retryPolicy->delayMinutes($attempt);
        if (!$this->queue->claim($id, $attempt - 1, $retryAt)) {
            return;
        }
        // Read again: the row may have been brought up to date before it was claimed.
        $row = $this->queue->load($id) ?? $row;

        try {
            $body = $this->signer->body([
                'event_id' => $row['event_id'],
                'event' => $row['event'],
                'entity_type' => $row['entity_type'],
                'entity_id' => $row['entity_id'],
                'increment_id' => $row['increment_id'],
                'store_id' => $row['store_id'],
                'updated_at' => $row['updated_at'],
            ]);
        } catch (\Throwable $e) {
            $this->queue->markFailed($id, 'Cannot build the notification body: ' . $e->getMessage());
            return;
        }

        $result = $this->sender->send($url, $secret, (string) $row['event_id'], $body, time());
        $error = (string) ($result['error'] ?? '');

        switch ($this->retryPolicy->outcome($result['status'])) {
            case RetryPolicy::DELIVERED:
                $this->queue->markDelivered($id);
                return;
            case RetryPolicy::FAILED:
                $this->queue->markFailed($id, $error);
                $this->logger->warning("Stockbridge: notification {$row['event_id']} refused: $error");
                return;
        }

        if (in_array($result['status'], self::UNREACHABLE_STATUSES, true)) {
            $unreachable[$url] = true;
        }
        $maxAttempts = $this->config->getMaxAttempts($storeId);
        if ($attempt >= $maxAttempts) {
            $this->queue->markFailed($id, "Gave up after $attempt attempts: $error");
            $this->logger->warning(
                "Stockbridge: notification {$row['event_id']} not delivered after $attempt attempts: $error"
            );
            return;
        }
        $this->queue->markRetry($id, "Attempt $attempt: $error");
    }
}

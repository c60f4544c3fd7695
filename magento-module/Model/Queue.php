<?php

declare(strict_types=1);

namespace Stockbridge\Notifications\Model;

use Magento\Framework\App\ResourceConnection;
use Magento\Framework\DB\Adapter\AdapterInterface;

/**
 * The stockbridge_notification_queue table: one row per notification to deliver.
 *
 * Rows are written on the default connection, so a row queued while an order is being
 * saved commits or rolls back with the order itself. All times are UTC.
 */
class Queue
{
    public const TABLE = 'stockbridge_notification_queue';

    public const STATUS_PENDING = 'pending';
    public const STATUS_DELIVERED = 'delivered';
    public const STATUS_FAILED = 'failed';

    private const DATE_FORMAT = 'Y-m-d H:i:s';
    private const MAX_ERROR_LENGTH = 2000;

    public function __construct(
        private ResourceConnection $resource
    ) {
    }

    /**
     * Queues a notification and returns its event_id.
     *
     * When a row for the same change of the same entity is still waiting for its first
     * attempt (an order is saved several times while it is placed), that row is brought
     * up to date instead of adding another.
     */
    public function enqueue(
        string $event,
        string $entityType,
        int $entityId,
        string $incrementId,
        int $storeId,
        ?string $updatedAt
    ): string {
        $connection = $this->connection();
        $table = $this->table();
        $values = [
            'increment_id' => $incrementId,
            'store_id' => max(0, $storeId),
            'updated_at' => self::normaliseDate($updatedAt),
        ];

        $waiting = $connection->fetchRow(
            $connection->select()
                ->from($table, ['id', 'event_id', 'increment_id', 'store_id', 'updated_at'])
                ->where('entity_type = ?', $entityType)
                ->where('entity_id = ?', $entityId)
                ->where('status = ?', self::STATUS_PENDING)
                ->where('event = ?', $event)
                ->where('attempts = 0')
                ->order('id DESC')
                ->limit(1)
        );
        if (is_array($waiting) && $waiting !== []) {
            if ((string) $waiting['increment_id'] === $values['increment_id']
                && (int) $waiting['store_id'] === $values['store_id']
                && (string) $waiting['updated_at'] === $values['updated_at']
            ) {
                return (string) $waiting['event_id'];
            }
            $changed = $connection->update(
                $table,
                $values,
                [
                    'id = ?' => (int) $waiting['id'],
                    'status = ?' => self::STATUS_PENDING,
                    'attempts = ?' => 0,
                ]
            );
            if ($changed > 0) {
                return (string) $waiting['event_id'];
            }
            // The row was claimed for delivery meanwhile: queue the change anew.
        }

        $now = gmdate(self::DATE_FORMAT);
        $eventId = self::newEventId();
        $connection->insert($table, $values + [
            'event_id' => $eventId,
            'event' => $event,
            'entity_type' => $entityType,
            'entity_id' => $entityId,
            'status' => self::STATUS_PENDING,
            'attempts' => 0,
            'next_attempt_at' => $now,
            'created_at' => $now,
        ]);

        return $eventId;
    }

    /**
     * Pending rows whose next attempt is due at $now, oldest first.
     *
     * @return array<int, array<string, mixed>>
     */
    public function fetchDue(int $now, int $limit): array
    {
        $connection = $this->connection();

        return $connection->fetchAll(
            $connection->select()
                ->from($this->table())
                ->where('status = ?', self::STATUS_PENDING)
                ->where('next_attempt_at <= ?', gmdate(self::DATE_FORMAT, $now))
                ->order('id ASC')
                ->limit($limit)
        );
    }

    /** One row by id, as it is now. */
    public function load(int $id): ?array
    {
        $connection = $this->connection();
        $row = $connection->fetchRow(
            $connection->select()->from($this->table())->where('id = ?', $id)
        );

        return is_array($row) && $row !== [] ? $row : null;
    }

    /**
     * Takes a row for one delivery attempt: counts the attempt and moves its next attempt
     * to $retryAt up front, so a process that dies mid-delivery leaves the row to be
     * retried later. False when another run took the row first.
     */
    public function claim(int $id, int $seenAttempts, int $retryAt): bool
    {
        return $this->connection()->update(
            $this->table(),
            [
                'attempts' => $seenAttempts + 1,
                'next_attempt_at' => gmdate(self::DATE_FORMAT, $retryAt),
            ],
            [
                'id = ?' => $id,
                'status = ?' => self::STATUS_PENDING,
                'attempts = ?' => $seenAttempts,
            ]
        ) > 0;
    }

    public function markDelivered(int $id): void
    {
        $this->connection()->update(
            $this->table(),
            ['status' => self::STATUS_DELIVERED, 'last_error' => null],
            ['id = ?' => $id]
        );
    }

    /** Leaves the row pending for the attempt already scheduled by claim(). */
    public function markRetry(int $id, string $error): void
    {
        $this->connection()->update(
            $this->table(),
            ['last_error' => self::clip($error)],
            ['id = ?' => $id]
        );
    }

    public function markFailed(int $id, string $error): void
    {
        $this->connection()->update(
            $this->table(),
            ['status' => self::STATUS_FAILED, 'last_error' => self::clip($error)],
            ['id = ?' => $id]
        );
    }

    /**
     * Deletes delivered rows queued before $deliveredBefore and failed ones queued
     * before $failedBefore (Unix seconds); returns how many went.
     */
    public function purge(int $deliveredBefore, int $failedBefore): int
    {
        $connection = $this->connection();
        $table = $this->table();

        return $connection->delete($table, [
            'status = ?' => self::STATUS_DELIVERED,
            'created_at < ?' => gmdate(self::DATE_FORMAT, $deliveredBefore),
        ]) + $connection->delete($table, [
            'status = ?' => self::STATUS_FAILED,
            'created_at < ?' => gmdate(self::DATE_FORMAT, $failedBefore),
        ]);
    }

    /**
     * Magento's updated_at as "YYYY-MM-DD HH:MM:SS" in UTC (sales entities keep their
     * dates in UTC); the current time when it is missing or unreadable.
     */
    public static function normaliseDate(?string $value): string
    {
        $value = trim((string) $value);
        if (preg_match('/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/', $value) === 1) {
            return $value;
        }
        if ($value !== '') {
            try {
                $date = new \DateTimeImmutable($value, new \DateTimeZone('UTC'));

                return $date->setTimezone(new \DateTimeZone('UTC'))->format(self::DATE_FORMAT);
            } catch (\Exception) {
                // fall through to now
            }
        }

        return gmdate(self::DATE_FORMAT);
    }

    /** A random id, unique per queued change and kept for all its delivery attempts. */
    public static function newEventId(): string
    {
        return 'mage-' . bin2hex(random_bytes(16));
    }

    private static function clip(string $error): string
    {
        $error = mb_scrub($error, 'UTF-8');

        return mb_strlen($error) > self::MAX_ERROR_LENGTH
            ? mb_substr($error, 0, self::MAX_ERROR_LENGTH - 3) . '...'
            : $error;
    }

    private function connection(): AdapterInterface
    {
        return $this->resource->getConnection();
    }

    private function table(): string
    {
        return $this->resource->getTableName(self::TABLE);
    }
}

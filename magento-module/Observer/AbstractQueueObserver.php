<?php

declare(strict_types=1);

namespace Stockbridge\Notifications\Observer;

use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;
use Psr\Log\LoggerInterface;
use Stockbridge\Notifications\Model\Config;
use Stockbridge\Notifications\Model\Queue;

/**
 * Queues one notification for an event. Whatever goes wrong here is logged and
 * swallowed: a notification must never break saving an order or a credit memo.
 */
abstract class AbstractQueueObserver implements ObserverInterface
{
    public function __construct(
        protected Queue $queue,
        protected Config $config,
        protected LoggerInterface $logger
    ) {
    }

    public function execute(Observer $observer): void
    {
        try {
            $this->handle($observer);
        } catch (\Throwable $e) {
            $this->logger->error(
                'Stockbridge: could not queue a notification (' . static::class . '): ' . $e->getMessage(),
                ['exception' => $e]
            );
        }
    }

    abstract protected function handle(Observer $observer): void;

    /** Queues the notification when the store has the module enabled and a URL set. */
    protected function queueIfActive(
        string $event,
        string $entityType,
        int $entityId,
        string $incrementId,
        int $storeId,
        ?string $updatedAt
    ): void {
        if ($entityId <= 0 || !$this->config->isActive($storeId)) {
            return;
        }
        $this->queue->enqueue($event, $entityType, $entityId, $incrementId, $storeId, $updatedAt);
    }

    /** Whether the model was just inserted: new, or loaded without an id. */
    protected static function isNew(\Magento\Framework\Model\AbstractModel $model): bool
    {
        return $model->isObjectNew() || !$model->getOrigData('entity_id');
    }

    /** updated_at, falling back to created_at; Queue uses now when both are empty. */
    protected static function updatedAt(\Magento\Framework\Model\AbstractModel $model): ?string
    {
        $value = $model->getData('updated_at') ?: $model->getData('created_at');

        return $value === null || $value === '' ? null : (string) $value;
    }
}

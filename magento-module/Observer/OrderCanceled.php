<?php

declare(strict_types=1);

namespace Stockbridge\Notifications\Observer;

use Magento\Framework\Event\Observer;
use Magento\Sales\Model\Order;

/**
 * order_cancel_after: order.canceled.
 */
class OrderCanceled extends AbstractQueueObserver
{
    protected function handle(Observer $observer): void
    {
        $order = $observer->getEvent()->getData('order');
        if (!$order instanceof Order) {
            return;
        }
        $this->queueIfActive(
            'order.canceled',
            'order',
            (int) $order->getId(),
            (string) $order->getIncrementId(),
            (int) $order->getStoreId(),
            self::updatedAt($order)
        );
    }
}
